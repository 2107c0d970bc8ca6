package recorder_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"callrec/internal/siprec/siptest"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// TestVendorInvites sends, over TCP to the running recorder on both
// databases, the INVITE shapes SBCs send that a strict server refuses:
// the pre-RFC schema, a 300-participant conference, a participant known
// by a second identity only, and a multipart body without its closing
// delimiter. Each is answered 200, and the call row holds what it said.
func TestVendorInvites(t *testing.T) {
	legacy, err := os.ReadFile("../siprec/testdata/vendors/legacy-siprec-namespace.xml")
	if err != nil {
		t.Fatal(err)
	}
	var conf strings.Builder
	conf.WriteString(`<?xml version="1.0"?><recording xmlns="urn:ietf:params:xml:ns:recording:1"><datamode>complete</datamode><session session_id="conf"/>`)
	for i := range 300 {
		fmt.Fprintf(&conf, `<participant participant_id="c%d"><nameID aor="sip:+1555%07d@bridge.example"><name>Guest %d</name></nameID><nameID aor="tel:+1555%07d"/></participant>`, i, i, i, i)
	}
	conf.WriteString(`<stream stream_id="s1" session_id="conf"><label>1</label></stream><participantstreamassoc participant_id="c0"><send>s1</send></participantstreamassoc></recording>`)
	second := `<recording xmlns="urn:ietf:params:xml:ns:recording:1"><session session_id="x"/>` +
		`<participant participant_id="a"><nameID aor="sip:alice@corp.example"><name>Alice</name></nameID><nameID aor="tel:2001"/></participant>` +
		`<participant participant_id="b"><nameID aor="sip:+4930555000@carrier.example"/></participant>` +
		`<stream stream_id="s" session_id="x"><label>1</label></stream><participantstreamassoc participant_id="a"><send>s</send></participantstreamassoc></recording>`
	sdp := "v=0\r\no=sbc 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=audio 41000 RTP/AVP 0\r\na=label:1\r\na=sendonly\r\nm=audio 41002 RTP/AVP 0\r\na=label:2\r\na=sendonly\r\n"
	cases := []struct {
		name, md   string
		unclosed   bool
		check      func(t *testing.T, c store.Call)
		recordedBy string // login of the recorded user, "" for Unassigned
	}{
		{"pre-RFC schema", string(legacy), false, func(t *testing.T, c store.Call) {
			if c.SessionID != "legacy-sess-1" || len(c.Participants) != 2 || len(c.Participants[1].AORs) != 2 {
				t.Errorf("legacy: session %q participants %+v", c.SessionID, c.Participants)
			}
		}, "agent"},
		{"300-participant conference", conf.String(), false, func(t *testing.T, c store.Call) {
			if len(c.Participants) != 300 || len(c.Participants[299].AORs) != 2 || c.Participants[299].Name != "Guest 299" {
				t.Errorf("conference: %d participants", len(c.Participants))
			}
		}, ""},
		{"user known by a second identity", second, false, func(t *testing.T, c store.Call) {
			if p := c.Participants[0]; p.UserID == "" || p.AOR != "sip:alice@corp.example" || len(p.AORs) != 2 {
				t.Errorf("second identity: %+v", p)
			}
		}, "agent"},
		{"no closing delimiter", string(legacy), true, func(t *testing.T, c store.Call) {
			if len(c.Participants) != 2 {
				t.Errorf("unclosed body: participants %+v", c.Participants)
			}
		}, "agent"},
	}
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, 0)
		ctx := context.Background()
		agent, err := e.db.Q().GetUserByLogin(ctx, "agent")
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range cases {
			p, err := siptest.Dial("tcp", "127.0.0.1", e.sipAddr)
			if err != nil {
				t.Fatal(err)
			}
			ct, body := multipart(sdp, tc.md)
			if tc.unclosed {
				body = strings.TrimSuffix(body, "--bnd--\r\n")
			}
			callID := siptest.Random(16)
			r, err := p.Do(siptest.Req{Method: "INVITE", Target: e.sipAddr, User: "sbc.example", CallID: callID, FromTag: "v1", Body: body, Type: ct}, 5*time.Second)
			if err != nil || r.Code != 200 {
				p.Close()
				t.Fatalf("%s: %d %v\n%s", tc.name, r.Code, err, r.Raw)
			}
			_, toTag, _ := strings.Cut(r.Header("To"), "tag=")
			if r, err := p.Do(siptest.Req{Method: "BYE", Target: e.sipAddr, User: "sbc.example", CallID: callID, FromTag: "v1", ToTag: toTag, CSeq: 2}, 5*time.Second); err != nil || r.Code != 200 {
				t.Fatalf("%s: BYE %d %v", tc.name, r.Code, err)
			}
			p.Close()
			var row store.Call
			for _, c := range e.calls() {
				if c.SIPCallID == callID {
					row = c
				}
			}
			c, err := e.db.Q().GetCall(ctx, e.tenant.ID, row.ID)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			want := ""
			if tc.recordedBy == "agent" {
				want = agent.ID
			}
			if !c.Recorded || c.RecordedUserID != want {
				t.Errorf("%s: recorded=%v user %q, want %q (%s)", tc.name, c.Recorded, c.RecordedUserID, want, c.DecisionReason)
			}
			tc.check(t, c)
		}
	})
}
