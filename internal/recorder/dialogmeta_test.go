package recorder_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"callrec/internal/siprec/siptest"
	"callrec/internal/siprecload"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

func dialogDoc(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../siprec/testdata/dialog/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// multipart joins SDP (may be "") and metadata as an SBC's body.
func multipart(sdp, md string) (string, string) {
	var b strings.Builder
	if sdp != "" {
		b.WriteString("--bnd\r\nContent-Type: application/sdp\r\n\r\n" + sdp + "\r\n")
	}
	b.WriteString("--bnd\r\nContent-Type: application/rs-metadata+xml\r\nContent-Disposition: recording-session\r\n\r\n" + md + "\r\n--bnd--\r\n")
	return "multipart/mixed;boundary=bnd", b.String()
}

// TestMetadataOverTheDialog: over real sockets, a metadata-only UPDATE
// renames the caller and adds an identity (seen on the live call's row at
// once), a re-INVITE holds stream 1 and transfers it to a new party, and a
// partial UPDATE says that party left. The ended call keeps everyone with
// their times and identities, each stream's sender and states, and the
// log of changes; the audio is recorded throughout.
func TestMetadataOverTheDialog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, 0)
		ctx := context.Background()
		evs, stop := e.bus.Subscribe(e.tenant.ID)
		defer stop()
		call, flows := e.dialTones(ctx, "sip:2001@pbx.example")
		defer e.stopTones(flows)
		fromTag, toTag := call.Tags()
		send := func(method string, cseq int, ctype, body string) siptest.Response {
			t.Helper()
			p, err := siptest.Dial("tcp", "127.0.0.1", e.sipAddr)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			r, err := p.Do(siptest.Req{Method: method, Target: e.sipAddr, User: "sbc.example", CallID: call.CallID(),
				FromTag: fromTag, ToTag: toTag, CSeq: cseq, Body: body, Type: ctype}, 5*time.Second)
			if err != nil || r.Code != 200 {
				t.Fatalf("%s: %d %v\n%s", method, r.Code, err, r.Raw)
			}
			return r
		}
		id := e.calls()[0].ID

		time.Sleep(300 * time.Millisecond)
		r := send("UPDATE", 50, "application/rs-metadata+xml", dialogDoc(t, "cisco-callerid-update.xml"))
		if r.Header("Content-Type") != "" {
			t.Errorf("a metadata-only UPDATE was answered with a body (%s)", r.Header("Content-Type"))
		}
		live, err := e.db.Q().GetCall(ctx, e.tenant.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if live.Participants[0].Name != "Jane Roe" || len(live.Participants[0].AORs) != 2 {
			t.Fatalf("the live call's row after the caller-ID update: %+v", live.Participants[0])
		}

		time.Sleep(300 * time.Millisecond)
		rtp := e.pacer.Addr()
		sdp := fmt.Sprintf("v=0\r\no=src 1 2 IN IP4 127.0.0.1\r\ns=siprec\r\nc=IN IP4 %s\r\nt=0 0\r\n", rtp.Addr())
		for _, l := range []struct{ label, dir string }{{"1", "inactive"}, {"2", "sendonly"}} {
			sdp += fmt.Sprintf("m=audio %d RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=label:%s\r\na=%s\r\n", rtp.Port(), l.label, l.dir)
		}
		ct, body := multipart(sdp, dialogDoc(t, "cisco-transfer.xml"))
		if r := send("INVITE", 51, ct, body); !strings.Contains(r.Raw, "a=inactive") {
			t.Errorf("the hold was not answered inactive:\n%s", r.Raw)
		}

		time.Sleep(300 * time.Millisecond)
		ct, body = multipart("", dialogDoc(t, "rfc7865-partial-leave.xml"))
		send("UPDATE", 52, ct, body)

		time.Sleep(300 * time.Millisecond)
		if err := call.Bye(ctx); err != nil {
			t.Fatal(err)
		}
		waitEvent(t, evs, "call.ended", id, 10*time.Second)
		c, err := e.db.Q().GetCall(ctx, e.tenant.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if c.State != store.CallCompleted || !c.Recorded {
			t.Fatalf("call %s recorded=%v", c.State, c.Recorded)
		}
		byID := map[string]store.CallParticipant{}
		for _, p := range c.Participants {
			byID[p.ParticipantID] = p
		}
		caller, agent, target := byID["p0"], byID["p1"], byID["p2"]
		if caller.Name != "Jane Roe" || !slices.Equal(caller.AORs, []string{"sip:+4930555000@carrier.example", "tel:+4930555000"}) ||
			caller.JoinedMS != 0 || caller.LeftMS == nil {
			t.Errorf("transferred caller %+v", caller)
		}
		if agent.UserID == "" || !agent.Recorded || agent.LeftMS != nil {
			t.Errorf("agent %+v", agent)
		}
		if target.Name != "Transfer Target" || target.JoinedMS < 500 || target.LeftMS == nil || *target.LeftMS <= target.JoinedMS {
			t.Errorf("transfer target %+v", target)
		}
		if caller.LeftMS != nil && *caller.LeftMS != target.JoinedMS {
			t.Errorf("the caller left at %d ms, the target joined at %d ms: one transfer, one time", *caller.LeftMS, target.JoinedMS)
		}
		if c.SIPREC == nil || len(c.SIPREC.Streams) != 2 {
			t.Fatalf("streams: %+v", c.SIPREC)
		}
		s1 := c.SIPREC.Streams[0]
		if s1.Label != "1" || s1.StreamID != "st0" || s1.Codec != "PCMU/8000" || !s1.Accepted || s1.ParticipantID != "p2" ||
			len(s1.States) != 2 || s1.States[0].State != "sendonly" || s1.States[1].State != "inactive" || s1.States[1].AtMS != target.JoinedMS {
			t.Errorf("stream 1: %+v", s1)
		}
		if s2 := c.SIPREC.Streams[1]; s2.ParticipantID != "p1" || len(s2.States) != 1 {
			t.Errorf("stream 2: %+v", s2)
		}
		var kinds []string
		for _, ch := range c.SIPREC.Changes {
			kinds = append(kinds, ch.Kind)
		}
		for _, k := range []string{"renamed", "identities", "left", "joined", "stream"} {
			if !slices.Contains(kinds, k) {
				t.Errorf("changes %v: no %s", kinds, k)
			}
		}

		// The API shows the same: streams with states, participants' times.
		var got struct {
			Participants []struct {
				ParticipantID string   `json:"participant_id"`
				AORs          []string `json:"aors"`
				JoinedMS      int64    `json:"joined_ms"`
				LeftMS        *int64   `json:"left_ms"`
			} `json:"participants"`
			SIPREC struct {
				Streams []struct {
					Label         string `json:"label"`
					ParticipantID string `json:"participant_id"`
					States        []struct {
						State string `json:"state"`
					} `json:"states"`
				} `json:"streams"`
				Changes []struct{ Kind string } `json:"changes"`
			} `json:"siprec"`
		}
		e.getAPI("/api/v1/recordings/"+id, &got)
		if len(got.Participants) != 3 || len(got.SIPREC.Streams) != 2 || got.SIPREC.Streams[0].ParticipantID != "p2" ||
			len(got.SIPREC.Streams[0].States) != 2 || len(got.SIPREC.Changes) != len(c.SIPREC.Changes) {
			t.Errorf("API detail: %+v", got)
		}
		for _, p := range got.Participants {
			if p.ParticipantID == "p2" && (p.JoinedMS != target.JoinedMS || p.LeftMS == nil) {
				t.Errorf("API: transfer target %+v", p)
			}
		}
	})
}

// getAPI GETs an API path as the tenant's admin into v.
func (e *env) getAPI(path string, v any) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.api.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s: %s", path, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		e.t.Fatal(err)
	}
}

// TestVendorCallIDFromHeader: an INVITE whose metadata carries no vendor
// id but whose User-to-User header carries Avaya's UCID keeps the UCID as
// the call's external id, found by the exact lookup.
func TestVendorCallIDFromHeader(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, 0)
		p, err := siptest.Dial("udp", "127.0.0.1", e.sipAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		sdp := "v=0\r\no=src 1 1 IN IP4 127.0.0.1\r\ns=siprec\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=label:1\r\na=sendonly\r\n"
		ct, body := multipart(sdp, siprecload.Metadata([]siprecload.Stream{{Label: "1", AOR: "sip:2001@pbx.example", Name: "Agent"}}))
		callID := siptest.Random(16)
		r, err := p.Do(siptest.Req{Method: "INVITE", Target: e.sipAddr, User: "sbc.example", CallID: callID, FromTag: "f1",
			Body: body, Type: ct, Extra: []string{"User-to-User: 00FA080019001038F725B3;encoding=hex"}}, 5*time.Second)
		if err != nil || r.Code != 200 {
			t.Fatalf("INVITE: %d %v", r.Code, err)
		}
		cs := e.calls()
		if len(cs) != 1 || cs[0].ExternalCallID != "FA080019001038F725B3" {
			t.Fatalf("external call id of %+v", cs)
		}
		found, _, err := e.db.Q().SearchRecordings(context.Background(), e.tenant.ID, store.RecordingFilter{ExternalCallID: "FA080019001038F725B3", Limit: 10})
		if err != nil || len(found) != 1 || found[0].ID != cs[0].ID {
			t.Fatalf("lookup by vendor id: %v %+v", err, found)
		}
		none, _, err := e.db.Q().SearchRecordings(context.Background(), e.tenant.ID, store.RecordingFilter{ExternalCallID: "FA0800", Limit: 10})
		if err != nil || len(none) != 0 {
			t.Fatalf("a prefix of the vendor id matched: %v %d", err, len(none))
		}
		var list struct {
			Items []struct {
				ID             string `json:"id"`
				ExternalCallID string `json:"external_call_id"`
			} `json:"items"`
		}
		e.getAPI("/api/v1/recordings?external_call_id=FA080019001038F725B3", &list)
		if len(list.Items) != 1 || list.Items[0].ID != cs[0].ID {
			t.Fatalf("API lookup by vendor id: %+v", list)
		}
	})
}
