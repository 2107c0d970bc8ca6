package recorder_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"callrec/internal/events"
	"callrec/internal/media"
	"callrec/internal/recorder"
	"callrec/internal/siprec"
	"callrec/internal/siprecload"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// injectedTone is what an intruder sends: neither party's tone nor a
// harmonic of one.
const injectedTone = 3300.0

// TestRTPInjection records a two-tone call while another host sprays a
// third tone at the call's RTP ports, once with the SRC's SDP naming its
// media source and once naming none usable (0.0.0.0, port 9: the first
// source latches). The recording holds both parties' tones and nothing of
// the intruder's, and the call's media says how many packets were
// rejected, as does callrec_rtp_rejected_packets_total.
func TestRTPInjection(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		reg := prometheus.NewRegistry()
		e := newEnv(t, b, 0, func(c *recorder.Config) { c.Metrics = reg })
		ctx := context.Background()
		evs, stop := e.bus.Subscribe(e.tenant.ID)
		defer stop()
		intruder := e.pacerOn("127.0.0.2")
		for _, tt := range []struct {
			name    string
			rtpFrom netip.AddrPort
		}{
			{"SDP names the source", e.pacer.Addr()},
			{"SDP names none usable", netip.MustParseAddrPort("0.0.0.0:9")},
		} {
			t.Run(tt.name, func(t *testing.T) {
				spec := e.spec("sip:2001@pbx.example")
				spec.RTPFrom = tt.rtpFrom
				call, flows := e.dialFlows(ctx, spec)
				// The genuine source is first: a stream that latches on
				// the first packet has seen it before the intruder sends.
				waitSent(t, e.pacer, e.pacer.Sent()+10)
				spray := []*siprecload.Flow{
					siprecload.NewFlow(call.Targets[0], siprecload.ToneSource(injectedTone)),
					siprecload.NewFlow(call.Targets[1], siprecload.ToneSource(injectedTone)),
				}
				for _, f := range spray {
					intruder.Add(f)
				}
				waitSent(t, intruder, intruder.Sent()+100)
				for _, f := range spray {
					intruder.Remove(f)
				}
				e.stopTones(flows)
				c := e.hangUp(ctx, call, evs)
				if c.Media == nil || c.Media.RejectedPackets < 50 || c.Media.SRTP || c.Media.Packets < 50 {
					t.Errorf("media = %+v, want packets, rejected packets and no SRTP", c.Media)
				}
				e.checkTones(c.ID)
			})
		}
		if n := counter(t, reg, "callrec_rtp_rejected_packets_total", "source"); n < 100 {
			t.Errorf("callrec_rtp_rejected_packets_total{reason=source} = %v", n)
		}
	})
}

// TestReinviteMovesTheSource moves the SRC's media by re-INVITE. A
// re-offer naming no usable source (0.0.0.0, as an old-style hold does)
// keeps the latched source, so an intruder who sends first then is still
// rejected; a re-offer naming a new source moves the streams to it, and
// the old one, still sending, is rejected.
func TestReinviteMovesTheSource(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, 0)
		ctx := context.Background()
		evs, stop := e.bus.Subscribe(e.tenant.ID)
		defer stop()
		moved, intruder := e.pacerOn("127.0.0.2"), e.pacerOn("127.0.0.3")
		call, flows := e.dialFlows(ctx, e.spec("sip:2001@pbx.example"))
		waitSent(t, e.pacer, e.pacer.Sent()+50)
		e.stopTones(flows)

		if err := call.Reoffer(ctx, func(s *siprecload.Spec) { s.RTPFrom = netip.MustParseAddrPort("0.0.0.0:9") }); err != nil {
			t.Fatal(err)
		}
		var spray []*siprecload.Flow
		for _, target := range call.Targets {
			f := siprecload.NewFlow(target, siprecload.ToneSource(injectedTone))
			intruder.Add(f)
			spray = append(spray, f)
		}
		waitSent(t, intruder, intruder.Sent()+50)
		for _, f := range spray {
			intruder.Remove(f)
		}

		if err := call.Reoffer(ctx, func(s *siprecload.Spec) { s.RTPFrom = moved.Addr() }); err != nil {
			t.Fatal(err)
		}
		tones := []float64{callerTone, agentTone}
		for i, target := range call.Targets {
			moved.Add(siprecload.NewFlow(target, siprecload.ToneSource(tones[i])))
			e.pacer.Add(siprecload.NewFlow(target, siprecload.ToneSource(injectedTone)))
		}
		waitSent(t, moved, moved.Sent()+100)
		c := e.hangUp(ctx, call, evs)
		if c.Media == nil || c.Media.RejectedPackets < 100 || c.Media.Packets < 130 {
			t.Errorf("media = %+v", c.Media)
		}
		e.checkTones(c.ID)
	})
}

// TestSRTPCall records an SDES-SRTP call (AES_CM_128_HMAC_SHA1_80 and
// AEAD_AES_128_GCM on its two streams): the answer carries the recorder's
// own key under the offered tag and suite, the recording holds the tones,
// and packets from the SRC's own address under another key are rejected.
// A re-INVITE with new keys is followed; one that drops SRTP gets 488. A
// call mixing SRTP and plain RTP is recorded stream by stream.
func TestSRTPCall(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		reg := prometheus.NewRegistry()
		e := newEnv(t, b, 0, func(c *recorder.Config) { c.Metrics = reg })
		ctx := context.Background()
		evs, stop := e.bus.Subscribe(e.tenant.ID)
		defer stop()

		spec := e.spec("sip:2001@pbx.example")
		spec.Streams[0].Crypto = newKey(t, 3, "AES_CM_128_HMAC_SHA1_80")
		spec.Streams[1].Crypto = newKey(t, 5, "AEAD_AES_128_GCM")
		call, flows := e.dialFlows(ctx, spec)
		for i, m := range call.Answer.Media {
			ours, ok := m.ChooseCrypto()
			offered := spec.Streams[i].Crypto
			if m.Proto != "RTP/SAVP" || !ok || ours.Tag != offered.Tag || ours.Suite != offered.Suite || ours.Same(*offered) {
				t.Errorf("answer for stream %d: %s, crypto %v tag %d suite %s, same key as offered: %v", i, m.Proto, ok, ours.Tag, ours.Suite, ours.Same(*offered))
			}
		}
		forged := siprecload.NewFlow(call.Targets[1], siprecload.ToneSource(injectedTone))
		if err := forged.Encrypt(*newKey(t, 5, "AEAD_AES_128_GCM")); err != nil {
			t.Fatal(err)
		}
		e.pacer.Add(forged) // from the latched address: only the key tells it apart
		waitSent(t, e.pacer, e.pacer.Sent()+75)

		rekeyed := spec
		rekeyed.Streams = slices.Clone(spec.Streams)
		for i, st := range rekeyed.Streams {
			rekeyed.Streams[i].Crypto = newKey(t, 7, st.Crypto.Suite)
		}
		if err := call.Reoffer(ctx, func(s *siprecload.Spec) { s.Streams = rekeyed.Streams }); err != nil {
			t.Fatalf("re-INVITE with new keys: %v", err)
		}
		e.stopTones(flows)
		e.pacer.Remove(forged)
		flows = e.encryptedFlows(call, rekeyed)
		waitSent(t, e.pacer, e.pacer.Sent()+50)
		var se *siprecload.StatusError
		err := call.Reoffer(ctx, func(s *siprecload.Spec) {
			for i := range s.Streams {
				s.Streams[i].Crypto = nil
			}
		})
		if !errors.As(err, &se) || se.Code != 488 {
			t.Errorf("re-INVITE dropping SRTP: %v, want 488", err)
		}
		waitSent(t, e.pacer, e.pacer.Sent()+50)
		e.stopTones(flows)
		c := e.hangUp(ctx, call, evs)
		if c.Media == nil || !c.Media.SRTP || c.Media.RejectedPackets < 25 || c.Media.Packets < 100 {
			t.Errorf("media = %+v", c.Media)
		}
		e.checkTones(c.ID)
		if n := counter(t, reg, "callrec_rtp_rejected_packets_total", "srtp"); n < 25 {
			t.Errorf("callrec_rtp_rejected_packets_total{reason=srtp} = %v", n)
		}

		mixed := e.spec("sip:2001@pbx.example")
		mixed.Streams[0].Crypto = newKey(t, 1, "AES_CM_128_HMAC_SHA1_32")
		call, flows = e.dialFlows(ctx, mixed)
		if call.Answer.Media[0].Proto != "RTP/SAVP" || call.Answer.Media[1].Proto != "RTP/AVP" || len(call.Answer.Media[1].Crypto) != 0 {
			t.Errorf("mixed answer: %+v", call.Answer.Media)
		}
		waitSent(t, e.pacer, e.pacer.Sent()+100)
		e.stopTones(flows)
		c = e.hangUp(ctx, call, evs)
		if c.Media == nil || c.Media.SRTP || c.Media.RejectedPackets != 0 || c.Media.Packets < 90 {
			t.Errorf("mixed call media = %+v", c.Media)
		}
		e.checkTones(c.ID)
	})
}

// newKey is a fresh SDES key for the suite.
func newKey(t *testing.T, tag int, suite string) *siprec.Crypto {
	t.Helper()
	s, ok := siprec.SuiteNamed(suite)
	if !ok {
		t.Fatalf("suite %s", suite)
	}
	key := make([]byte, s.KeyLen+s.SaltLen)
	_, _ = rand.Read(key)
	return &siprec.Crypto{Tag: tag, Suite: suite, Key: key}
}

// pacerOn starts a pacer sending from ip (any of 127/8) until the test ends.
func (e *env) pacerOn(ip string) *siprecload.Pacer {
	e.t.Helper()
	p, err := siprecload.NewPacer(ip)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.t.Cleanup(cancel)
	go p.Run(ctx)
	return p
}

// dialFlows places the call of spec and streams the caller's tone on its
// first stream and the agent's on the second, from the env's pacer,
// encrypted where the stream has a key.
func (e *env) dialFlows(ctx context.Context, spec siprecload.Spec) (*siprecload.Call, []*siprecload.Flow) {
	e.t.Helper()
	call, err := e.client.Dial(ctx, spec)
	if err != nil {
		e.t.Fatal(err)
	}
	return call, e.encryptedFlows(call, spec)
}

func (e *env) encryptedFlows(call *siprecload.Call, spec siprecload.Spec) []*siprecload.Flow {
	e.t.Helper()
	tones := []float64{callerTone, agentTone}
	var flows []*siprecload.Flow
	for i, s := range spec.Streams {
		f := siprecload.NewFlow(call.Targets[i], siprecload.ToneSource(tones[i]))
		if s.Crypto != nil {
			if err := f.Encrypt(*s.Crypto); err != nil {
				e.t.Fatal(err)
			}
		}
		e.pacer.Add(f)
		flows = append(flows, f)
	}
	return flows
}

// waitSent waits until p has sent n packets in all (50 a second per flow).
func waitSent(t *testing.T, p *siprecload.Pacer, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for p.Sent() < n {
		if time.Now().After(deadline) {
			t.Fatalf("pacer sent %d of %d packets", p.Sent(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// hangUp ends the call and returns its row as GET /api/v1/calls/{id}
// shows it once the end is written.
func (e *env) hangUp(ctx context.Context, call *siprecload.Call, evs <-chan events.Event) store.Call {
	e.t.Helper()
	id := ""
	for _, c := range e.calls() {
		if c.SIPCallID == call.CallID() {
			id = c.ID
		}
	}
	if err := call.Bye(ctx); err != nil {
		e.t.Fatal(err)
	}
	waitEvent(e.t, evs, "call.ended", id, 10*time.Second)
	req, _ := http.NewRequest("GET", e.api.URL+"/api/v1/calls/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var c store.Call
	if err := json.NewDecoder(res.Body).Decode(&c); err != nil || res.StatusCode != http.StatusOK {
		e.t.Fatalf("GET call: %d %v", res.StatusCode, err)
	}
	return c
}

// checkTones plays the call and checks that the agent's tone is on the
// left, the caller's on the right, and the intruder's nowhere.
func (e *env) checkTones(id string) {
	e.t.Helper()
	res, wav := e.getAudio(id, "")
	if res.StatusCode != http.StatusOK {
		e.t.Fatalf("audio: %d", res.StatusCode)
	}
	l, r := channels(wav)
	for _, ch := range []struct {
		name         string
		x            []int16
		tone, others float64
	}{{"left", l, agentTone, callerTone}, {"right", r, callerTone, agentTone}} {
		x := ch.x[min(len(ch.x), media.Rate/5):]
		p, other, injected := media.Power(x, ch.tone, media.Rate), media.Power(x, ch.others, media.Rate), media.Power(x, injectedTone, media.Rate)
		if p < 1e6 || p < 100*other {
			e.t.Errorf("%s: %v Hz power %.0f, %v Hz %.0f", ch.name, ch.tone, p, ch.others, other)
		}
		if injected > 1e4 || injected > p/1000 {
			e.t.Errorf("%s: the injected %v Hz tone is in the recording: power %.0f against %.0f", ch.name, injectedTone, injected, p)
		}
	}
}

// counter reads a labelled counter of reg.
func counter(t *testing.T, reg *prometheus.Registry, name, reason string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" && l.GetValue() == reason {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
