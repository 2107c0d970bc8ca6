package api_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"callrec/internal/account"
	"callrec/internal/api"
	"callrec/internal/blob"
	"callrec/internal/principal"
	"callrec/internal/recorder"
	"callrec/internal/recordings"
	"callrec/internal/roles"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// workspace is the API env served with a blob store, so that audio plays
// and deletion removes it.
type workspace struct {
	*env
	blobs *blob.Disk
	dir   string
}

func newWorkspace(t *testing.T, b storetest.Backend) *workspace {
	t.Helper()
	e := newEnv(t, b)
	dir := t.TempDir()
	disk, err := blob.NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	calls := &recordings.Service{DB: e.db, Accounts: e.accounts, Blobs: disk, Log: log, Now: e.db.Now}
	(&api.Handler{Accounts: e.accounts, Auth: e.auth, Calls: calls, Log: log, Recordings: &recorder.Library{Blobs: disk}}).Register(mux)
	srv := httptest.NewServer((&principal.Resolver{Auth: e.auth, DB: e.db}).Middleware(mux))
	t.Cleanup(srv.Close)
	e.srv = srv
	return &workspace{env: e, blobs: disk, dir: dir}
}

// call stores a finished, recorded call of the user with a small audio blob.
func (w *workspace) call(tenantID, userID string, confidential bool, mod func(*store.Call)) store.Call {
	w.t.Helper()
	now := w.clock.Now()
	id := account.NewID()
	c := store.Call{ID: id, TenantID: tenantID, State: store.CallCompleted, Direction: "inbound", StartedAt: now.Add(-time.Hour),
		DurationMS: 90_000, Recorded: true, DecisionReason: "user is recorded", Confidential: confidential, RecordedUserID: userID,
		Caller: "+15550001", Callee: "2001", BlobKey: "calls/" + id + ".opus", AudioFormat: "opus", SizeBytes: 4,
		CreatedAt: now, UpdatedAt: now}
	if mod != nil {
		mod(&c)
	}
	if c.BlobKey != "" {
		src := filepath.Join(w.t.TempDir(), "a.opus")
		if err := os.WriteFile(src, []byte("OggS"), 0o600); err != nil {
			w.t.Fatal(err)
		}
		if err := w.blobs.Put(context.Background(), c.BlobKey, src); err != nil {
			w.t.Fatal(err)
		}
	}
	if err := w.db.Q().InsertCall(context.Background(), c); err != nil {
		w.t.Fatal(err)
	}
	return c
}

func (w *workspace) blobExists(key string) bool {
	_, err := w.blobs.Open(context.Background(), key)
	return err == nil
}

// TestRecordingScopeTable proves who sees and does what: each role against
// calls of its own, of a managed group's member, of someone else and of
// another tenant, confidential or not, for every action.
func TestRecordingScopeTable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := newWorkspace(t, b)
		ctx := context.Background()
		admin := w.tokenClient("A:admin")
		group := admin.want(http.StatusCreated, "POST", "/api/v1/groups", map[string]any{"name": "Sales"}).body["id"].(string)
		member := w.users["A:user"]
		admin.want(http.StatusNoContent, "PUT", "/api/v1/groups/"+group+"/members/"+member.ID, nil)
		if err := w.db.Q().SetManagedGroups(ctx, w.tenantA.ID, w.users["A:supervisor"].ID, []string{group}); err != nil {
			t.Fatal(err)
		}
		other := w.mustUser(ctx, w.tenantA.ID, "other", roles.User)

		owners := map[string]string{"supervisor": w.users["A:supervisor"].ID, "selfview": w.users["A:user_self_view"].ID,
			"member": member.ID, "other": other.ID}
		type fixture struct {
			owner string
			conf  bool
			call  store.Call
		}
		var calls []fixture
		for _, owner := range []string{"supervisor", "selfview", "member", "other"} {
			for _, conf := range []bool{false, true} {
				calls = append(calls, fixture{owner, conf, w.call(w.tenantA.ID, owners[owner], conf, nil)})
			}
		}
		foreign := w.call(w.tenantB.ID, w.users["B:admin"].ID, false, nil)

		callers := map[string]*client{roles.APIUser: w.tokenClient("A:" + roles.APIUser)}
		for _, role := range []string{roles.Admin, roles.Supervisor, roles.UserSelfView} {
			c, res := w.sessionClient(w.users["A:"+role].Login, testPassword, "")
			acceptTermsIfAsked(t, c, res)
			c.player = true // the portal's pages and player
			callers[role] = c
		}
		// sees says which owners' calls a role sees, and whether confidential ones.
		sees := map[string]struct {
			owners []string
			conf   bool
		}{
			roles.Admin:        {[]string{"supervisor", "selfview", "member", "other"}, true},
			roles.APIUser:      {[]string{"supervisor", "selfview", "member", "other"}, false},
			roles.Supervisor:   {[]string{"supervisor", "member"}, false},
			roles.UserSelfView: {[]string{"selfview"}, false},
		}
		type action struct {
			name       string
			method     string
			path       string // %s is the call id
			body       any
			ok         int
			perm       roles.Permission // "" = seeing the call is enough
			visibleFst bool             // the call's visibility is checked before the permission
		}
		actions := []action{
			{"detail", "GET", "/api/v1/recordings/%s", nil, 200, "", true},
			{"call", "GET", "/api/v1/calls/%s", nil, 200, "", true},
			{"play", "GET", "/api/v1/calls/%s/audio", nil, 200, roles.RecordingsPlay, true},
			{"download", "GET", "/api/v1/calls/%s/audio?download=1", nil, 200, roles.RecordingsDownload, true},
			{"note", "POST", "/api/v1/calls/%s/notes", map[string]any{"offset_ms": 1000, "body": "check this"}, 201, roles.RecordingsAnnotate, false},
			{"confidential", "PUT", "/api/v1/calls/%s/confidential", nil, 200, roles.RecordingsConfid, false},
			{"pause", "POST", "/api/v1/calls/%s/pause", nil, 409, roles.PauseResume, false},
		}
		// Admin last: its deletions must not change what the others see.
		order := []string{roles.UserSelfView, roles.Supervisor, roles.APIUser, roles.Admin}
		for _, role := range order {
			c := callers[role]
			s := sees[role]
			var want []string
			for _, f := range calls {
				if slices.Contains(s.owners, f.owner) && (s.conf || !f.conf) {
					want = append(want, f.call.ID)
				}
			}
			got := listIDs(t, c, "/api/v1/recordings?limit=500")
			if !sameSet(got, want) {
				t.Errorf("%s lists %d calls, want %d", role, len(got), len(want))
			}
			if legacy := listIDs(t, c, "/api/v1/calls?limit=500"); !sameSet(legacy, want) {
				t.Errorf("%s: /api/v1/calls lists %d calls, want %d", role, len(legacy), len(want))
			}
			for _, f := range append(calls, fixture{"foreign", false, foreign}) {
				visible := slices.Contains(want, f.call.ID)
				for _, a := range append(actions, action{"delete", "DELETE", "/api/v1/calls/%s", nil, 204, roles.RecordingsDelete, false}) {
					body := a.body
					if a.name == "confidential" {
						body = map[string]any{"confidential": f.conf}
					}
					status := a.ok
					allowed := a.perm == "" || roles.Has(role, a.perm)
					switch {
					case a.visibleFst && !visible, !a.visibleFst && allowed && !visible:
						status = 404
					case !allowed:
						status = 403
					}
					res := c.do(a.method, fmt.Sprintf(a.path, f.call.ID), body)
					if res.status != status {
						t.Errorf("%s %s on %s call (confidential %v): %d, want %d; %s", role, a.name, f.owner, f.conf, res.status, status, res.raw)
					}
				}
			}
		}
		// Every deletion took the audio with it; the other tenant's stays.
		for _, f := range calls {
			if w.blobExists(f.call.BlobKey) {
				t.Errorf("audio of deleted %s call kept", f.owner)
			}
		}
		if !w.blobExists(foreign.BlobKey) {
			t.Error("another tenant's audio was deleted")
		}
		// Plays, downloads and deletions are in the tenant's audit log; an
		// API client's play is a download (the API user's four).
		for action, n := range map[string]int{"recording.play": 1 + 2 + 8, "recording.download": 2 + 4 + 8, "recording.delete": 8} {
			es, _, err := w.db.Q().ListAudit(ctx, w.tenantA.ID, store.AuditFilter{Action: action, Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			if len(es) != n {
				t.Errorf("%d %s audit entries, want %d", len(es), action, n)
			}
		}
	})
}

func listIDs(t *testing.T, c *client, path string) []string {
	t.Helper()
	var ids []string
	for path != "" {
		res := c.want(http.StatusOK, "GET", path, nil)
		for _, it := range res.items() {
			ids = append(ids, it.(map[string]any)["id"].(string))
		}
		next, _ := res.body["next_cursor"].(string)
		path = ""
		if next != "" {
			u, _ := url.Parse(c.e.srv.URL + "/api/v1/recordings")
			q := u.Query()
			q.Set("cursor", next)
			q.Set("limit", "3")
			path = "/api/v1/recordings?" + q.Encode()
		}
	}
	return ids
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestRecordingExportMatchesFilter exports a filtered list as CSV and
// checks it holds exactly the calls the same filter lists, in order.
func TestRecordingExportMatchesFilter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := newWorkspace(t, b)
		admin := w.tokenClient("A:admin")
		user := w.users["A:user"].ID
		var want []string
		for i := range 30 {
			dir := []string{"inbound", "outbound", "internal"}[i%3]
			dur := int64(i * 10_000)
			c := w.call(w.tenantA.ID, user, false, func(c *store.Call) {
				c.Direction, c.DurationMS = dir, dur
				c.StartedAt = c.StartedAt.Add(-time.Duration(i) * time.Minute)
				c.Caller = fmt.Sprintf("+1555%04d", i)
			})
			if dir == "inbound" && dur >= 60_000 {
				want = append(want, c.ID)
			}
		}
		filter := "direction=inbound&min_duration=60&sort=duration&order=asc"
		var listed []string
		path := "/api/v1/recordings?limit=4&" + filter
		for path != "" {
			res := admin.want(http.StatusOK, "GET", path, nil)
			for _, it := range res.items() {
				listed = append(listed, it.(map[string]any)["id"].(string))
			}
			path = ""
			if next, _ := res.body["next_cursor"].(string); next != "" {
				path = "/api/v1/recordings?limit=4&" + filter + "&cursor=" + url.QueryEscape(next)
			}
		}
		if !sameSet(listed, want) {
			t.Fatalf("listed %d, want %d", len(listed), len(want))
		}
		res := admin.want(http.StatusOK, "GET", "/api/v1/calls/export?"+filter, nil)
		rows, err := csv.NewReader(strings.NewReader(res.raw)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var exported []string
		for _, r := range rows[1:] {
			exported = append(exported, r[0])
			if r[4] != "" && strings.HasPrefix(r[4], "'") {
				t.Errorf("phone number defused: %q", r[4])
			}
		}
		if !slices.Equal(exported, listed) {
			t.Fatalf("export %v\nlist   %v", exported, listed)
		}
		if got := admin.do("GET", "/api/v1/calls/export?direction=sideways", nil); got.status != 400 || got.field("direction") == "" {
			t.Fatalf("bad filter: %d %s", got.status, got.raw)
		}
	})
}
