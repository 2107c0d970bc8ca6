package msemu

import (
	"bytes"
	"encoding/xml"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"strings"
	"testing"
	"time"
)

// siprecMetadata is the part of RFC 7865 metadata the test reads.
type siprecMetadata struct {
	XMLName xml.Name `xml:"urn:ietf:params:xml:ns:recording:1 recording"`
	Session struct {
		GraphCallID    string `xml:"urn:callrec:teams graphCallId"`
		TenantID       string `xml:"urn:callrec:teams tenantId"`
		Correlation    string `xml:"urn:callrec:teams correlation"`
		ObservedUserID string `xml:"urn:callrec:teams observedUserId"`
	} `xml:"session"`
	Participants []struct {
		ID  string `xml:"participant_id,attr"`
		AOR struct {
			AOR string `xml:"aor,attr"`
		} `xml:"nameID"`
	} `xml:"participant"`
	Streams []struct {
		ID    string `xml:"stream_id,attr"`
		Label string `xml:"label"`
	} `xml:"stream"`
	Assocs []struct {
		Participant string `xml:"participant_id,attr"`
		Send        string `xml:"send"`
	} `xml:"participantstreamassoc"`
}

func TestMediaEdgeSIPREC(t *testing.T) {
	for _, transport := range []string{"tcp", "udp"} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			s := newRecordingSetup(t, policyFlags{requiredBefore: true, requiredDuring: true})
			rec := newRecorderStub(t, transport)
			s.bot.onIncoming = func(n botNote) { s.bot.answer(s.graph, n.Leg, rec.uri) }
			id := s.place(t, phone, adele, 1)
			v := waitDone(t, s.h, id)
			ev := waitFor(t, s.h, "siprec_bye", callEventNamed(id, "siprec_bye"))
			if v.State != callEnded || ev.Data["status"] != 200 || rec.byes.Load() != 1 {
				t.Fatalf("call %s, BYE %v, recorder saw %d BYEs", v.State, ev.Data, rec.byes.Load())
			}
			leg := v.Parties[1].Recorders[0].Leg
			inv := rec.invite(t)
			if h := inv.GetHeader("Require"); h == nil || h.Value() != "siprec" {
				t.Errorf("Require: %v", h)
			}
			sdp, md := splitSIPREC(t, inv.GetHeader("Content-Type").Value(), inv.Body())
			for _, want := range []string{"a=label:1", "a=label:2", "a=rtpmap:0 PCMU/8000"} {
				if !strings.Contains(sdp, want) {
					t.Errorf("SDP lacks %q:\n%s", want, sdp)
				}
			}
			if strings.Count(sdp, "m=audio ") != 2 || strings.Count(sdp, "a=sendonly") != 2 {
				t.Errorf("SDP:\n%s", sdp)
			}
			var m siprecMetadata
			if err := xml.Unmarshal(md, &m); err != nil {
				t.Fatalf("metadata: %v\n%s", err, md)
			}
			adeleID := v.Parties[1].UserID
			if m.Session.GraphCallID != leg || m.Session.TenantID != ContosoTenantID || m.Session.Correlation != "corr-"+leg || m.Session.ObservedUserID != adeleID {
				t.Errorf("extension elements %+v", m.Session)
			}
			aors := map[string]string{} // label → aor
			for _, st := range m.Streams {
				for _, a := range m.Assocs {
					if a.Send != st.ID {
						continue
					}
					for _, p := range m.Participants {
						if p.ID == a.Participant {
							aors[st.Label] = p.AOR.AOR
						}
					}
				}
			}
			if aors["1"] != "sip:"+adeleID+"@"+ContosoDomain || aors["2"] != "tel:"+phone {
				t.Errorf("label → participant: %v", aors)
			}
			// 1 s of 20 ms packets per stream; pacing on a busy machine may vary a little.
			for i := range 2 {
				if n := rec.packets[i].Load(); n < 40 || n > 60 {
					t.Errorf("stream %d: %d RTP packets, want about 50", i+1, n)
				}
			}
			if rec.badRTP.Load() != 0 {
				t.Errorf("%d malformed RTP packets", rec.badRTP.Load())
			}
			sent := waitFor(t, s.h, "media_sent", callEventNamed(id, "media_sent"))
			if sent.Data["packets_label_1"] != int(rec.packets[0].Load()) {
				t.Errorf("media_sent %v, recorder counted %d", sent.Data, rec.packets[0].Load())
			}
		})
	}
}

func splitSIPREC(t *testing.T, contentType string, body []byte) (sdp string, metadata []byte) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("Content-Type %q", contentType)
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		switch p.Header.Get("Content-Type") {
		case "application/sdp":
			sdp = string(b)
		case "application/rs-metadata+xml":
			if p.Header.Get("Content-Disposition") != "recording-session" {
				t.Errorf("metadata disposition %q", p.Header.Get("Content-Disposition"))
			}
			metadata = b
		}
	}
	if sdp == "" || metadata == nil {
		t.Fatalf("body parts missing:\n%s", body)
	}
	return sdp, metadata
}

func TestMediaEdgeRecorderDown(t *testing.T) {
	s := newRecordingSetup(t, policyFlags{requiredBefore: true, requiredDuring: true})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "sip:" + l.Addr().String() + ";transport=tcp"
	l.Close()
	s.bot.onIncoming = func(n botNote) { s.bot.answer(s.graph, n.Leg, down) }
	id := s.place(t, adele, phone, 2)
	start := time.Now()
	v := waitDone(t, s.h, id)
	r := v.Parties[0].Recorders[0]
	if v.State != callCut || r.Status != legFailed || resultString(r.ResultInfo) != "500/1005" || time.Since(start) > 1500*time.Millisecond {
		t.Fatalf("call %s, leg %+v", v.State, r)
	}
}
