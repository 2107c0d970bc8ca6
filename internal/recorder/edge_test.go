package recorder_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"callrec/internal/account"
	"callrec/internal/media"
	"callrec/internal/recorder"
	"callrec/internal/siprec"
	"callrec/internal/siprec/siptest"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// TestForgedInDialogRequests: during a live call, a BYE, re-INVITE or
// UPDATE with the call's Call-ID but a made-up tag, or with the right tags
// from an address outside the source that opened the session, is answered
// 481 and changes nothing; the real BYE ends the call.
func TestForgedInDialogRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, 0)
		ctx := context.Background()
		// The SBC's own address, more specific than the harness's 127/8.
		now := time.Now()
		if err := e.db.Q().InsertSIPSource(ctx, store.SIPSource{ID: account.NewID(), TenantID: e.tenant.ID, Name: "SBC node",
			Address: "127.0.0.1", Domain: "sbc.example", CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		e.rec.InvalidateSources()
		evs, stop := e.bus.Subscribe(e.tenant.ID)
		defer stop()
		call, flows := e.dialTones(ctx, "sip:2001@pbx.example")
		defer e.stopTones(flows)
		began := time.Now()
		fromTag, toTag := call.Tags()
		callID := call.CallID()
		pause := "v=0\r\no=SBC 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
			"m=audio 40000 RTP/AVP 0\r\na=label:1\r\na=inactive\r\nm=audio 40002 RTP/AVP 0\r\na=label:2\r\na=inactive\r\n"
		forged := []struct {
			name, ip, method, fromTag, toTag string
		}{
			{"BYE from another address", "127.0.0.2", "BYE", fromTag, toTag},
			{"BYE with a made-up From tag", "127.0.0.1", "BYE", "made-up", toTag},
			{"BYE with a made-up To tag", "127.0.0.1", "BYE", fromTag, "made-up"},
			{"BYE without To tag", "127.0.0.1", "BYE", fromTag, ""},
			{"re-INVITE pausing from another address", "127.0.0.2", "INVITE", fromTag, toTag},
			{"re-INVITE pausing with a made-up tag", "127.0.0.1", "INVITE", "made-up", toTag},
			{"UPDATE pausing from another address", "127.0.0.2", "UPDATE", fromTag, toTag},
		}
		for _, network := range []string{"udp", "tcp"} {
			for _, f := range forged {
				p, err := siptest.Dial(network, f.ip, e.sipAddr)
				if err != nil {
					t.Fatal(err)
				}
				req := siptest.Req{Method: f.method, Target: e.sipAddr, User: "sbc.example", CallID: callID, FromTag: f.fromTag, ToTag: f.toTag, CSeq: 50}
				if f.method != "BYE" {
					req.Body = pause
				}
				r, err := p.Do(req, 5*time.Second)
				p.Close()
				if err != nil || r.Code != 481 {
					t.Fatalf("%s over %s: %d %v, want 481", f.name, network, r.Code, err)
				}
			}
		}
		if !e.rec.Live(callID) {
			t.Fatal("a forged request ended the call")
		}
		time.Sleep(time.Second) // real time: audio after the forged pauses
		if err := call.Bye(ctx); err != nil {
			t.Fatalf("the SBC's own BYE: %v", err)
		}
		length := time.Since(began)
		id := e.calls()[0].ID
		waitEvent(t, evs, "call.ended", id, 10*time.Second)
		if c := e.calls()[0]; c.State != store.CallCompleted {
			t.Errorf("call ended as %s", c.State)
		}
		e.checkTail(id, length, 800*time.Millisecond)
	})
}

// TestHostileSIP runs the edge's refusals against the real recorder: each
// mandatory-header omission over UDP and TCP, an oversized TCP message, a
// client too slow to finish one, and 2 MB of garbage. The recorder answers
// throughout, records a call afterwards, and the log stays small.
func TestHostileSIP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, 0, func(c *recorder.Config) {
			c.SIPLimits = siprec.Limits{MaxMessage: 32 << 10, MessageTimeout: 300 * time.Millisecond}
		})
		ctx := context.Background()
		for _, network := range []string{"udp", "tcp"} {
			for _, method := range []string{"INVITE", "BYE"} {
				for _, h := range []string{"Call-ID", "From", "To", "CSeq", "Via"} {
					p, err := siptest.Dial(network, "127.0.0.2", e.sipAddr)
					if err != nil {
						t.Fatal(err)
					}
					msg := siptest.Without(siptest.Req{Method: method, Target: e.sipAddr, User: "sbc.example", CallID: siptest.Random(12),
						FromTag: "f", Via: p.Addr()}.String(), h)
					_ = p.Send([]byte(msg))
					r, err := p.Final(5 * time.Second)
					p.Close()
					if err != nil || r.Code != 400 || !strings.Contains(r.Header("Warning"), "missing "+h) {
						t.Fatalf("%s without %s over %s: %d %q %v", method, h, network, r.Code, r.Header("Warning"), err)
					}
				}
			}
		}
		tcp, err := siptest.Dial("tcp", "127.0.0.1", e.sipAddr)
		if err != nil {
			t.Fatal(err)
		}
		big := siptest.Req{Method: "INVITE", Target: e.sipAddr, User: "sbc.example", CallID: siptest.Random(12), FromTag: "f",
			Body: strings.Repeat("a=x-filler:0123456789abcdef0123456789abcdef\r\n", 1000)}
		if r, err := tcp.Do(big, 5*time.Second); err != nil || r.Code != 513 || !tcp.ClosedWithin(5*time.Second) {
			t.Fatalf("oversized TCP INVITE: %d %v, want 513 and the connection closed", r.Code, err)
		}
		slow, err := siptest.Dial("tcp", "127.0.0.4", e.sipAddr)
		if err != nil {
			t.Fatal(err)
		}
		_ = slow.Send([]byte("INVITE sip:sbc.example@" + e.sipAddr + " SIP/2.0\r\nVia: SIP/2.0/TCP"))
		if !slow.ClosedWithin(5 * time.Second) {
			t.Fatal("a client that never finishes its message keeps the connection")
		}
		junk := bytes.Repeat([]byte("BYE sip:x \x00\xfe garbage "), 50) // 1 KB
		udp, err := siptest.Dial("udp", "127.0.0.3", e.sipAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer udp.Close()
		for range 2000 {
			_ = udp.Send(junk)
		}
		call, flows := e.dialTones(ctx, "sip:2001@pbx.example")
		time.Sleep(500 * time.Millisecond)
		e.stopTones(flows)
		if err := call.Bye(ctx); err != nil {
			t.Fatalf("the recorder does not record after the hostile input: %v", err)
		}
		logs := e.logs.String()
		if n := strings.Count(logs, "sip: input refused"); n > 8 || len(logs) > 8192 {
			t.Errorf("hostile input wrote %d bytes of log, %d refusal lines:\n%.3000s", len(logs), n, logs)
		}
		for _, want := range []string{"event=bad_request source=127.0.0.2", "event=too_large", "event=slow_close", "event=unparseable source=127.0.0.3"} {
			if !strings.Contains(logs, want) {
				t.Errorf("log lacks %q:\n%.3000s", want, logs)
			}
		}
	})
}

// checkTail checks both parties' tones in the last span of a call of this
// length (before its final 200 ms): whatever happened before did not
// pause or cut the recording.
func (e *env) checkTail(id string, length, span time.Duration) {
	e.t.Helper()
	res, wav := e.getAudio(id, "")
	if res.StatusCode != http.StatusOK {
		e.t.Fatalf("audio: %d", res.StatusCode)
	}
	l, r := channels(wav)
	if len(l) < int(length.Seconds()*0.95*media.Rate) {
		e.t.Fatalf("recording of %d samples for a %v call", len(l), length)
	}
	from, to := int((length-span-200*time.Millisecond).Seconds()*media.Rate), int((length-200*time.Millisecond).Seconds()*media.Rate)
	to = min(to, len(l))
	if p := media.Power(l[from:to], agentTone, media.Rate); p < 1e6 {
		e.t.Errorf("left: agent tone power %.0f in the call's last %v", p, span)
	}
	if p := media.Power(r[from:to], callerTone, media.Rate); p < 1e6 {
		e.t.Errorf("right: caller tone power %.0f in the call's last %v", p, span)
	}
}
