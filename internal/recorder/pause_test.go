package recorder_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"callrec/internal/media"
	"callrec/internal/store/storetest"
)

// TestPauseThroughAPI pauses a live call through the REST API of a web
// handler that has no line to the recorder (no pause controller), as when
// they are different processes: the recorder learns the pause from the
// database, the stored recording is silent over the marked span on both
// channels and carries each side's tone elsewhere.
func TestPauseThroughAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, 0)
		ctx := context.Background()
		evs, stop := e.bus.Subscribe(e.tenant.ID)
		defer stop()

		call, flows := e.dialTones(ctx, "sip:2001@pbx.example")
		id := e.calls()[0].ID
		time.Sleep(1500 * time.Millisecond) // real time: the call must carry audio
		e.post(id, "pause")
		time.Sleep(1500 * time.Millisecond)
		e.post(id, "resume")
		time.Sleep(1500 * time.Millisecond)
		e.stopTones(flows)
		if err := call.Bye(ctx); err != nil {
			t.Fatal(err)
		}
		waitEvent(t, evs, "call.stored", id, 30*time.Second)

		ps, err := e.db.Q().CallPauses(ctx, e.tenant.ID, id)
		if err != nil || len(ps) != 1 || ps[0].EndMS == nil {
			t.Fatalf("pause spans = %+v, %v", ps, err)
		}
		from, to := time.Duration(ps[0].StartMS)*time.Millisecond, time.Duration(*ps[0].EndMS)*time.Millisecond
		e.checkSilentSpan(id, from, to)
		if to-from < time.Second {
			t.Errorf("paused span %v–%v shorter than the pause", from, to)
		}
	})
}

// checkSilentSpan reads a stored call and checks that both channels are
// silent from from to to and carry their tones (agent left, caller right)
// before and after it.
func (e *env) checkSilentSpan(id string, from, to time.Duration) {
	t := e.t
	t.Helper()
	res, wav := e.getAudio(id, "")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("stored audio: %d", res.StatusCode)
	}
	l, r := channels(wav)
	cut := func(x []int16, a, b time.Duration) []int16 {
		i, j := max(int(a.Seconds()*media.Rate), 0), min(int(b.Seconds()*media.Rate), len(x))
		return x[i:max(i, j)]
	}
	for name, x := range map[string][]int16{"left": l, "right": r} {
		// The marked span is silence: the archive is Opus, so allow its
		// smearing for 30 ms at each edge and a whisper of noise.
		span := cut(x, from+30*time.Millisecond, to-30*time.Millisecond)
		peak := 0
		for _, v := range span {
			peak = max(peak, abs(int(v)))
		}
		if peak > 200 {
			t.Errorf("%s channel: the paused span %v–%v peaks at %d, not silence", name, from, to, peak)
		}
	}
	length := time.Duration(len(l)) * time.Second / media.Rate
	for _, w := range [][2]time.Duration{{300 * time.Millisecond, from - 100*time.Millisecond}, {to + 300*time.Millisecond, length - 200*time.Millisecond}} {
		if w[1]-w[0] < 200*time.Millisecond {
			continue // the span starts the call (on demand): nothing before it
		}
		if p := media.Power(cut(l, w[0], w[1]), agentTone, media.Rate); p < 1e6 {
			t.Errorf("left %v–%v: agent tone power %.0f", w[0], w[1], p)
		}
		if p := media.Power(cut(r, w[0], w[1]), callerTone, media.Rate); p < 1e6 {
			t.Errorf("right %v–%v: caller tone power %.0f", w[0], w[1], p)
		}
	}
}

// post calls a call action (pause, resume) through the API.
func (e *env) post(id, action string) {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.api.URL+"/api/v1/calls/"+id+"/"+action, nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		var body map[string]any
		_ = json.NewDecoder(res.Body).Decode(&body)
		e.t.Fatalf("%s: %d %v", action, res.StatusCode, body)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
