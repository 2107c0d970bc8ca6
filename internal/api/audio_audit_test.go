package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"callrec/internal/principal"
	"callrec/internal/roles"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// TestEveryAudioAccessAudited: whatever range a request asks for — none,
// from the start, a suffix, an open end, several — the first one of a
// listening is audited; a listening is one entry per caller, call and
// action for ten minutes. Without recordings.download, only the portal's
// player gets audio: a navigation, ?download=1 or a client without Fetch
// Metadata is refused.
func TestEveryAudioAccessAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := newWorkspace(t, b)
		ctx := context.Background()
		selfview := w.users["A:"+roles.UserSelfView]
		count := func(action string) int {
			t.Helper()
			es, _, err := w.db.Q().ListAudit(ctx, w.tenantA.ID, store.AuditFilter{Action: action, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			return len(es)
		}
		get := func(c *client, path, rangeHdr string, extra map[string]string) int {
			t.Helper()
			req, _ := http.NewRequest("GET", w.srv.URL+path, nil)
			req.AddCookie(&http.Cookie{Name: principal.CookieName, Value: c.cookie})
			if rangeHdr != "" {
				req.Header.Set("Range", rangeHdr)
			}
			if c.player {
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				req.Header.Set("Sec-Fetch-Mode", "cors")
				req.Header.Set("Sec-Fetch-Dest", "empty")
			}
			for k, v := range extra {
				req.Header.Set(k, v)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}
		sv, res := w.sessionClient(selfview.Login, testPassword, "")
		acceptTermsIfAsked(t, sv, res)
		sv.player = true
		for _, rg := range []string{"bytes=-2", "bytes=1-", "bytes=0-0,2-3", "", "bytes=0-"} {
			c := w.call(w.tenantA.ID, selfview.ID, false, nil)
			before := count("recording.play")
			if st := get(sv, "/api/v1/calls/"+c.ID+"/audio", rg, nil); st != http.StatusOK && st != http.StatusPartialContent {
				t.Fatalf("player, range %q: %d", rg, st)
			}
			if st := get(sv, "/api/v1/calls/"+c.ID+"/audio", "bytes=2-", nil); st != http.StatusPartialContent {
				t.Fatalf("player's seek: %d", st)
			}
			if got := count("recording.play") - before; got != 1 {
				t.Errorf("range %q then a seek: %d audit entries, want 1", rg, got)
			}
		}
		c := w.call(w.tenantA.ID, selfview.ID, false, nil)
		refused := []struct {
			name   string
			path   string
			player bool
			extra  map[string]string
		}{
			{"?download=1 from the player", "?download=1", true, nil},
			{"opened from the address bar", "", true, map[string]string{"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Sec-Fetch-Site": "none"}},
			{"another site's page", "", true, map[string]string{"Sec-Fetch-Site": "cross-site"}},
			{"a client without Fetch Metadata (curl with the cookie)", "", false, nil},
		}
		for _, r := range refused {
			sv.player = r.player
			if st := get(sv, "/api/v1/calls/"+c.ID+"/audio"+r.path, "", r.extra); st != http.StatusForbidden {
				t.Errorf("%s without recordings.download: %d, want 403", r.name, st)
			}
		}
		// A supervisor may download: the same requests are downloads, audited
		// once per listening, again after ten minutes.
		sup, res := w.sessionClient(w.users["A:"+roles.Supervisor].Login, testPassword, "")
		acceptTermsIfAsked(t, sup, res)
		own := w.call(w.tenantA.ID, w.users["A:"+roles.Supervisor].ID, false, nil)
		for range 3 {
			if st := get(sup, "/api/v1/calls/"+own.ID+"/audio", "bytes=-2", nil); st != http.StatusPartialContent {
				t.Fatalf("supervisor's download: %d", st)
			}
		}
		if n := count("recording.download"); n != 1 {
			t.Fatalf("%d download entries, want 1", n)
		}
		w.clock.Advance(11 * time.Minute)
		get(sup, "/api/v1/calls/"+own.ID+"/audio", "", nil)
		if n := count("recording.download"); n != 2 {
			t.Fatalf("after ten minutes: %d download entries, want 2", n)
		}
	})
}
