package recorder_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"callrec/internal/api"
	"callrec/internal/media"
	"callrec/internal/recorder"
	"callrec/internal/store/storetest"
)

// TestPlaybackFromAnotherNode records a call on node A and plays it through
// node B's API right after BYE, before it is uploaded: B holds no spool and
// fetches A's over the signed internal route, Range requests included. A
// forged or expired internal request is refused; a node that is gone gets
// 503 until the upload, after which the stored copy plays.
func TestPlaybackFromAnotherNode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		e := newTwoNodes(t, b, func(n *twoNodes, mux *http.ServeMux) {
			mux.HandleFunc(recorder.SpoolRoute, (&recorder.Library{Spool: n.spool, Nodes: n.nodeA}).ServeSpool)
		}, func(n *twoNodes, h *api.Handler) {
			h.Recordings = &recorder.Library{Spool: t.TempDir(), Blobs: n.blobs, Nodes: n.nodeB}
		})
		apiB, internalA, nodeA := e.apiB, e.internalA, e.nodeA
		get := func(path, rangeHdr string) (*http.Response, []byte) {
			t.Helper()
			req, _ := http.NewRequest("GET", apiB.URL+path, nil)
			req.Header.Set("Authorization", "Bearer "+e.token)
			if rangeHdr != "" {
				req.Header.Set("Range", rangeHdr)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			return res, body
		}

		e.blobs.setDown(true) // keep the recording in A's spool
		evs, stop := e.bus.Subscribe(e.tenant.ID)
		defer stop()
		call, flows := e.dialTones(ctx, "sip:2001@pbx.example")
		id := e.calls()[0].ID
		time.Sleep(time.Second) // real time: the call must carry audio
		e.stopTones(flows)
		if err := call.Bye(ctx); err != nil {
			t.Fatal(err)
		}
		bye := time.Now()
		var wav []byte
		for {
			res, body := get("/api/v1/calls/"+id+"/audio?format=wav", "")
			if res.StatusCode == http.StatusOK {
				if ct := res.Header.Get("Content-Type"); ct != "audio/wav" {
					t.Fatalf("content type %q", ct)
				}
				wav = body
				break
			}
			if res.StatusCode != http.StatusConflict || time.Since(bye) > time.Second {
				t.Fatalf("node B after %v: %d %s", time.Since(bye), res.StatusCode, body)
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Logf("BYE to playable on node B: %v", time.Since(bye))
		l, r := channels(wav)
		if len(l) < 7000 {
			t.Fatalf("node B's audio: %d samples", len(l))
		}
		pl, pr := media.Power(l[2000:6000], agentTone, media.Rate), media.Power(r[2000:6000], callerTone, media.Rate)
		if pl < 1e6 || pr < 1e6 {
			t.Errorf("node B's audio: %v Hz left %.0f, %v Hz right %.0f", agentTone, pl, callerTone, pr)
		}
		res, part := get("/api/v1/calls/"+id+"/audio?format=wav", "bytes=0-43")
		if res.StatusCode != http.StatusPartialContent || len(part) != 44 || string(part[:4]) != "RIFF" ||
			!strings.HasPrefix(res.Header.Get("Content-Range"), "bytes 0-43/") {
			t.Errorf("range through node B: %d, %d bytes, %q", res.StatusCode, len(part), res.Header.Get("Content-Range"))
		}

		// The internal route: signed for node A and this call, and fresh.
		internal := func(n *recorder.Nodes, node string, exp time.Time) int {
			res, err := http.Get(n.SpoolURL(internalA.URL, node, id, exp))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}
		forger := &recorder.Nodes{Key: []byte("guessed"), Self: "node-b"}
		for name, tc := range map[string]struct {
			n    *recorder.Nodes
			node string
			exp  time.Time
			want int
		}{
			"valid":          {nodeA, "node-a", time.Now().Add(20 * time.Second), http.StatusOK},
			"forged":         {forger, "node-a", time.Now().Add(20 * time.Second), http.StatusUnauthorized},
			"expired":        {nodeA, "node-a", time.Now().Add(-time.Second), http.StatusUnauthorized},
			"too long-lived": {nodeA, "node-a", time.Now().Add(time.Hour), http.StatusUnauthorized},
			"other node":     {nodeA, "node-c", time.Now().Add(20 * time.Second), http.StatusUnauthorized},
		} {
			if got := internal(tc.n, tc.node, tc.exp); got != tc.want {
				t.Errorf("%s internal request: %d, want %d", name, got, tc.want)
			}
		}
		if res, err := http.Get(internalA.URL + "/internal/v1/spool/" + id + "/mix.wav"); err != nil || res.StatusCode != http.StatusUnauthorized {
			t.Errorf("unsigned internal request: %v %v", res.StatusCode, err)
		}

		// Node A gone from the registry: a clear 503 until the upload.
		if err := e.db.Q().DeleteRecorderNode(ctx, "node-a"); err != nil {
			t.Fatal(err)
		}
		if res, body := get("/api/v1/calls/"+id+"/audio?format=wav", ""); res.StatusCode != http.StatusServiceUnavailable ||
			!strings.Contains(string(body), "recorder_unavailable") {
			t.Errorf("node gone: %d %s", res.StatusCode, body)
		}
		e.blobs.setDown(false)
		waitEvent(t, evs, "call.stored", id, 30*time.Second)
		if res, _ := get("/api/v1/calls/"+id+"/audio", ""); res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "audio/ogg" {
			t.Errorf("after upload: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
		}
	})
}
