package cli

import (
	"testing"
	"time"

	"callrec/internal/integration"
	"callrec/internal/msemu"
	"callrec/internal/store/storetest"
)

const (
	meganUPN = "MeganB@" + msemu.ContosoDomain
	emilyUPN = "EmilyB@" + msemu.ContosoDomain
)

// TestTeamsMeetingIsOneRecording drives the bot through the emulator with
// the documented notifications (issue #14): Alex calls Megan, both under
// the recording policy, so each has a bot leg in the same call chain; Emily
// joins and is offered to Alex's leg as a participantJoiningNotification.
// callrec keeps one recording of the conversation and lists it under all
// three users.
func TestTeamsMeetingIsOneRecording(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := startTeamsWorld(t, b, 5*time.Second)
		v := w.connect(integration.DefaultConfig())
		w.b.AdminSignIn(adeleUPN, msemu.AdminPassword)
		for _, upn := range []string{alexUPN, meganUPN, emilyUPN} {
			w.b.AddMember(v.Resources.GroupID, upn)
		}
		id := w.place(alexUPN, meganUPN, 6)
		w.eventually("both bot legs to record", 5*time.Second, func() bool {
			c := w.st.Emu.CallView(id)
			return c.State == "connected" && legStatus(*c, 0) == "established" && legStatus(*c, 1) == "established" &&
				c.Parties[0].Recorders[0].RecordingStatus == "recording" && c.Parties[1].Recorders[0].RecordingStatus == "recording"
		})
		how, err := w.st.Emu.Join(id, emilyUPN)
		if err != nil || how != "accepted" {
			t.Fatalf("Emily joins: %q %v, want accepted by the leg in the call", how, err)
		}
		ended := w.waitEnded(id, 20*time.Second)
		legs := map[string]bool{ended.Parties[0].Recorders[0].Leg: true, ended.Parties[1].Recorders[0].Leg: true}
		var mine []apiCall
		w.eventually("the recording to complete", 5*time.Second, func() bool {
			mine = nil
			for _, c := range w.calls() {
				if legs[c.ExternalCallID] && c.Recorded {
					mine = append(mine, c)
				}
			}
			return len(mine) == 1 && mine[0].State == "completed"
		})
		// The other leg's row keeps no audio, is left out of the lists and
		// points at the recording, which names it.
		var kept struct {
			Duplicates []string `json:"duplicates"`
		}
		// The second leg's row is linked at its INVITE, or at its end when
		// the recording's INVITE came after it: wait for that end too.
		w.eventually("the second leg's row to name the recording", 5*time.Second, func() bool {
			w.api("GET", "/api/v1/recordings/"+mine[0].ID, nil, 200, &kept)
			return len(kept.Duplicates) == 1
		})
		var dup struct {
			Recorded       bool   `json:"recorded"`
			LinkedCallID   string `json:"linked_call_id"`
			ExternalCallID string `json:"external_call_id"`
		}
		w.api("GET", "/api/v1/recordings/"+kept.Duplicates[0], nil, 200, &dup)
		if dup.Recorded || dup.LinkedCallID != mine[0].ID || !legs[dup.ExternalCallID] || dup.ExternalCallID == mine[0].ExternalCallID {
			t.Errorf("the second leg's row: %+v", dup)
		}
		aad := map[string]bool{ended.Parties[0].UserID: true, ended.Parties[1].UserID: true, ended.Parties[2].UserID: true}
		var users struct {
			Items []struct {
				ID         string   `json:"id"`
				Name       string   `json:"name"`
				Extensions []string `json:"extensions"`
			} `json:"items"`
		}
		w.api("GET", "/api/v1/users?limit=100", nil, 200, &users)
		listed := 0
		for _, u := range users.Items {
			if len(u.Extensions) != 1 || !aad[u.Extensions[0]] {
				continue
			}
			var recs struct {
				Items []struct {
					ID       string `json:"id"`
					Recorded bool   `json:"recorded"`
				} `json:"items"`
			}
			w.api("GET", "/api/v1/recordings?user_id="+u.ID, nil, 200, &recs)
			if len(recs.Items) != 1 || recs.Items[0].ID != mine[0].ID {
				t.Errorf("%s's recordings: %+v, want the one call %s", u.Name, recs.Items, mine[0].ID)
			}
			listed++
		}
		if listed != 3 {
			t.Fatalf("found %d of the three recorded users", listed)
		}
	})
}
