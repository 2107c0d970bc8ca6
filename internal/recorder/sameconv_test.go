package recorder_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"callrec/internal/account"
	"callrec/internal/recorder"
	"callrec/internal/roles"
	"callrec/internal/siprec/siptest"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// TestSameTeamsCallFromSBCAndEdge: a Teams user's PSTN call forked both by
// the provider's SBC (the user's synced phone number) and by the Teams
// media edge (the user's Teams id, with the bot's correlation) is
// recorded once: whichever arrives second keeps its row without audio,
// linked to the first, in either order. Another call of the same user
// with another outside party at the same time is recorded on its own.
func TestSameTeamsCallFromSBCAndEdge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		var teamsUser store.User
		e := newEnv(t, b, 0, func(c *recorder.Config) {
			c.Admit = func(ctx context.Context, correlation string) (recorder.Admission, error) {
				return recorder.Admission{TenantID: teamsUser.TenantID, UserID: teamsUser.ID, Direction: "outbound", Record: true,
					Reason: "Teams: user's rule: always record"}, nil
			}
		})
		ctx := context.Background()
		teamsUser = e.mustUser(account.New(e.db, nil), "alexw", roles.User, []string{"+15550001000", "9b0c41d2-7f3e-4c7a-9d51-2b8e6a1c0f44"}, []string{"call_recording"}, "always")
		sdp := "v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
			"m=audio 42000 RTP/AVP 0\r\na=label:1\r\na=sendonly\r\nm=audio 42002 RTP/AVP 0\r\na=label:2\r\na=sendonly\r\n"
		md := func(user, other, extra string) string {
			return `<recording xmlns="urn:ietf:params:xml:ns:recording:1"><datamode>complete</datamode><session session_id="s"/>` + extra +
				`<participant participant_id="u"><nameID aor="` + user + `"/></participant>` +
				`<participant participant_id="o"><nameID aor="` + other + `"/></participant>` +
				`<stream stream_id="a" session_id="s"><label>1</label></stream><stream stream_id="b" session_id="s"><label>2</label></stream>` +
				`<participantstreamassoc participant_id="u"><send>a</send></participantstreamassoc>` +
				`<participantstreamassoc participant_id="o"><send>b</send></participantstreamassoc></recording>`
		}
		sbc := func(other string) string {
			return md("sip:+15550001000@sbc.example", "sip:"+other+"@carrier.example", "")
		}
		edge := func(other string) string {
			return md("sip:9b0c41d2-7f3e-4c7a-9d51-2b8e6a1c0f44@contoso.example", "tel:"+other, `<correlation xmlns="urn:callrec:teams">tok-`+siptest.Random(8)+`</correlation>`)
		}
		type leg struct{ callID, toTag string }
		var legs []leg
		start := func(metadata string) store.Call {
			t.Helper()
			p, err := siptest.Dial("tcp", "127.0.0.1", e.sipAddr)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			ct, body := multipart(sdp, metadata)
			callID := siptest.Random(16)
			r, err := p.Do(siptest.Req{Method: "INVITE", Target: e.sipAddr, User: "sbc.example", CallID: callID, FromTag: "f", Body: body, Type: ct}, 5*time.Second)
			if err != nil || r.Code != 200 {
				t.Fatalf("INVITE: %d %v", r.Code, err)
			}
			_, tag, _ := strings.Cut(r.Header("To"), "tag=")
			legs = append(legs, leg{callID, tag})
			for _, c := range e.calls() {
				if c.SIPCallID == callID {
					full, err := e.db.Q().GetCall(ctx, e.tenant.ID, c.ID)
					if err != nil {
						t.Fatal(err)
					}
					return full
				}
			}
			t.Fatal("no row")
			return store.Call{}
		}
		hangUp := func() {
			for _, l := range legs {
				p, err := siptest.Dial("tcp", "127.0.0.1", e.sipAddr)
				if err != nil {
					t.Fatal(err)
				}
				r, err := p.Do(siptest.Req{Method: "BYE", Target: e.sipAddr, User: "sbc.example", CallID: l.callID, FromTag: "f", ToTag: l.toTag, CSeq: 2}, 5*time.Second)
				p.Close()
				if err != nil || r.Code != 200 {
					t.Fatalf("BYE: %d %v", r.Code, err)
				}
			}
			legs = nil
		}

		// SBC first, then the media edge.
		first := start(sbc("+4930555000"))
		second := start(edge("+4930555000"))
		other := start(edge("+4930777000")) // another call, another party
		if !first.Recorded || first.RecordedUserID != teamsUser.ID || first.LinkedCallID != "" {
			t.Fatalf("SBC fork: recorded=%v user=%q linked=%q (%s)", first.Recorded, first.RecordedUserID, first.LinkedCallID, first.DecisionReason)
		}
		if second.Recorded || second.LinkedCallID != first.ID || !strings.Contains(second.DecisionReason, "from the SBC") {
			t.Errorf("edge fork of the same call: recorded=%v linked=%q reason %q", second.Recorded, second.LinkedCallID, second.DecisionReason)
		}
		if !other.Recorded || other.LinkedCallID != "" {
			t.Errorf("another call of the same user: recorded=%v linked=%q", other.Recorded, other.LinkedCallID)
		}
		var detail struct {
			Duplicates []string `json:"duplicates"`
		}
		e.getAPI("/api/v1/recordings/"+first.ID, &detail)
		if len(detail.Duplicates) != 1 || detail.Duplicates[0] != second.ID {
			t.Errorf("the SBC's recording lists its duplicates as %v", detail.Duplicates)
		}
		hangUp()

		// The media edge first, then the SBC.
		first = start(edge("+4930555111"))
		second = start(sbc("004930555111")) // the same number as the SBC spells it
		if !first.Recorded || second.Recorded || second.LinkedCallID != first.ID || !strings.Contains(second.DecisionReason, "Teams media edge") {
			t.Errorf("edge then SBC: first recorded=%v, second recorded=%v linked=%q reason %q",
				first.Recorded, second.Recorded, second.LinkedCallID, second.DecisionReason)
		}
		hangUp()
	})
}
