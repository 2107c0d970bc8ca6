package msemu

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

const (
	megan = "MeganB@" + ContosoDomain
	emily = "EmilyB@" + ContosoDomain
)

// grantRec puts a user under the setup's recording policy.
func (s *recordingSetup) grantRec(t *testing.T, upn string) {
	t.Helper()
	admin := s.h.delegated("LeeG@"+ContosoDomain, TeamsAdminAppID+"/.default")
	grant := map[string]any{"PolicyType": policyType, "PolicyName": "Rec"}
	if res := s.h.call("PUT", TeamsAdminPrefix+"/Skype.Policy/users/"+upn, admin, grant, nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("grant %s: %d", upn, res.StatusCode)
	}
}

func (s *recordingSetup) join(t *testing.T, callID, upn string) (int, string) {
	t.Helper()
	var out struct {
		Recording string `json:"recording"`
	}
	res := s.h.call("POST", "/emu/calls/"+callID+"/participants", "", map[string]any{"user": upn}, &out)
	return res.StatusCode, out.Recording
}

func identityKinds(r rosterNote) []string {
	var out []string
	for _, p := range r.Participants {
		id, _ := dig(p, "info", "identity").(map[string]any)
		for k := range id {
			if k != "@odata.type" {
				out = append(out, k)
			}
		}
	}
	return out
}

// TestMeetingParticipantsJoinAndLeave: recorded users who join a call in
// progress are offered to the bot leg already there as a
// participantJoiningNotification (call-answer.md, Example 3;
// participantJoiningNotification.md); its participantJoiningResponse
// decides, and every change sends the legs a roster (participant-invite.md).
func TestMeetingParticipantsJoinAndLeave(t *testing.T) {
	s := newRecordingSetup(t, policyFlags{requiredBefore: true, requiredDuring: true})
	s.grantRec(t, megan)
	s.grantRec(t, emily)
	id, leg := answerAndWait(t, s, adele, alex, 5)
	var joining []map[string]any
	s.bot.onJoining = func(call map[string]any) map[string]any {
		joining = append(joining, call)
		return map[string]any{"@odata.type": "#microsoft.graph.acceptJoinResponse"}
	}
	if st, how := s.join(t, id, megan); st != 200 || how != "accepted" {
		t.Fatalf("Megan joins: %d %q, want accepted", st, how)
	}
	if len(joining) != 1 || dig(joining[0], "incomingContext", "observedParticipantId") != dig(joining[0], "source", "id") ||
		dig(joining[0], "applicationMetadata", "botData", "user", "id") != nil {
		t.Fatalf("participantJoiningNotification call: %v", joining)
	}
	rosters := s.bot.waitRoster(t, 2)
	last := rosters[len(rosters)-1]
	if last.URL != "/communications/calls/"+leg+"/participants" || last.Change != "updated" || len(last.Participants) != 4 {
		t.Fatalf("roster after Megan joined: %+v", last)
	}
	// A bot that answers the joining notification with an empty 202 (the
	// old callrec) leaves a RequiredBeforeMeetingJoin user outside.
	s.bot.onJoining = nil
	if st, _ := s.join(t, id, emily); st != http.StatusConflict {
		t.Fatalf("Emily with no participantJoiningResponse: %d, want 409 join_blocked", st)
	}
	// inviteNewBot: Emily's recording becomes an incoming call of its own.
	s.bot.onJoining = func(map[string]any) map[string]any {
		return map[string]any{"@odata.type": "#microsoft.graph.inviteNewBotResponse", "inviteUri": s.bot.srv.URL + "/webhook"}
	}
	if st, how := s.join(t, id, emily); st != 200 || how != "invited" {
		t.Fatalf("Emily with inviteNewBot: %d %q", st, how)
	}
	waitFor(t, s.h, "Emily's leg established", func(ev Event) bool {
		return ev.Data["call_id"] == id && ev.Data["event"] == "established" && ev.Data["leg"] != leg
	})
	if res := s.h.call("DELETE", "/emu/calls/"+id+"/participants/"+megan, "", nil, nil); res.StatusCode != 200 {
		t.Fatalf("Megan leaves: %d", res.StatusCode)
	}
	v := s.h.emu.CallView(id)
	if len(v.Parties) != 4 || v.Parties[3].UPN != emily || len(v.Parties[3].Recorders) != 1 {
		t.Fatalf("parties: %+v", v.Parties)
	}
	// Megan's leaving reaches the first leg as a roster of Adele, Alex,
	// Emily and the bot.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		found := false
		for _, r := range s.bot.waitRoster(t, 1) {
			found = found || r.URL == "/communications/calls/"+leg+"/participants" && len(r.Participants) == 4 &&
				!strings.Contains(fmt.Sprint(r.Participants), v.Parties[2].UserID)
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first leg got no roster without Megan")
		}
	}
}

// TestHiddenCallerIsEncryptedInTheRoster: a PSTN caller who withholds
// their number shows as an encrypted identity (communicationsIdentitySet).
func TestHiddenCallerIsEncryptedInTheRoster(t *testing.T) {
	s := newRecordingSetup(t, policyFlags{})
	rec := newRecorderStub(t, "tcp")
	s.bot.onIncoming = func(n botNote) { s.bot.answer(s.graph, n.Leg, rec.uri) }
	var c CallInfo
	if res := s.h.call("POST", "/emu/calls", "", PlaceCall{From: phone, To: adele, DurationSeconds: 2, HideCallerID: true}, &c); res.StatusCode != http.StatusCreated {
		t.Fatalf("place: %d", res.StatusCode)
	}
	in := s.bot.waitNote(t, "created", "incoming")[0]
	if dig(in.Data, "applicationMetadata", "botData", "otherSideUser", "participationMethod") != "caller" ||
		dig(in.Data, "source", "identity", "user", "id") != c.Parties[1].UserID {
		t.Fatalf("invitation: %v", in.Data)
	}
	r := s.bot.waitRoster(t, 1)[0]
	if got := fmt.Sprint(identityKinds(r)); got != "[encrypted user applicationInstance]" {
		t.Fatalf("roster identities %s", got)
	}
}

// TestCallingPathsRefused: a calling path the contract does not list is
// 404, a listed path with another method 405 with Allow, both in Graph's
// error shape; a token without the calling roles is 403.
func TestCallingPathsRefused(t *testing.T) {
	s := newRecordingSetup(t, policyFlags{})
	_, leg := answerAndWait(t, s, adele, phone, 0.5)
	base := "/v1.0/communications/calls/" + leg
	delegated := s.h.delegated(adele, "https://graph.microsoft.com/.default")
	for _, c := range []struct {
		method, path, token string
		status              int
		allow               string
	}{
		{"GET", base + "/answer", s.graph, 405, "POST"},
		{"PUT", base, s.graph, 405, "GET, DELETE"},
		{"POST", base + "/record", s.graph, 404, ""},
		{"POST", base + "/participants/invite", s.graph, 404, ""},
		{"POST", base + "/keepAlive", delegated, 403, ""},
	} {
		var e errBody
		res := s.h.call(c.method, c.path, c.token, nil, &e)
		if res.StatusCode != c.status || res.Header.Get("Allow") != c.allow || e.Error.Code == "" {
			t.Errorf("%s %s: %d allow %q %+v, want %d allow %q", c.method, c.path, res.StatusCode, res.Header.Get("Allow"), e, c.status, c.allow)
		}
	}
}
