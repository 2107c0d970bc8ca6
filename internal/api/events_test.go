package api

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"callrec/internal/account"
	"callrec/internal/clock"
	"callrec/internal/events"
	"callrec/internal/principal"
	"callrec/internal/recordings"
	"callrec/internal/roles"
	"callrec/internal/store/storetest"
)

// TestEventsByKind subscribes one caller of each role to /api/v1/events
// and checks that each sees exactly the events its permissions allow.
func TestEventsByKind(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := storetest.Open(t, b, nil)
		accounts := account.New(db, nil)
		name := "Contoso"
		tn, err := accounts.CreateTenant(ctx, account.System, account.TenantInput{Name: &name, Licenses: map[string]int{"call_recording": 5}})
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]string{}
		for _, role := range []string{roles.Admin, roles.Supervisor, roles.UserSelfView, roles.User, roles.APIUser} {
			login, pw := "u-"+role, "Secret#2026"
			u, err := accounts.CreateUser(ctx, account.System, tn.ID, account.UserInput{Name: &login, Login: &login, Role: &role, Password: &pw})
			if err != nil {
				t.Fatal(err)
			}
			ids[role] = u.ID
		}
		bus := events.NewLocal()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		h := &Handler{Events: bus, Log: log, Calls: &recordings.Service{DB: db, Accounts: account.New(db, nil), Log: log, Now: db.Now}}
		at := clock.Start()
		call := func(kind, userID string, confidential bool) events.Event {
			return events.New(tn.ID, kind, map[string]any{"id": kind + userID, "recorded_user_id": userID, "confidential": confidential}, at)
		}
		published := []events.Event{
			call("call.started", ids[roles.UserSelfView], false),
			call("call.ended", ids[roles.Supervisor], false),
			call("call.stored", ids[roles.User], true),
			events.New(tn.ID, "integration.progress", map[string]any{"step": "policy"}, at),
			events.New(tn.ID, "teams.token", map[string]any{"recorded_user_id": ids[roles.UserSelfView]}, at),
			{TenantID: tn.ID, Kind: "call.ended", Data: []byte(`"not an object"`), At: at},
		}
		tests := []struct {
			role   string
			status int
			want   []string // kinds, in order, before the final "lagged"
		}{
			{roles.Admin, 200, []string{"call.started", "call.ended", "call.stored", "integration.progress"}},
			{roles.APIUser, 200, []string{"call.started", "call.ended"}},
			{roles.Supervisor, 200, []string{"call.ended"}},
			{roles.UserSelfView, 200, []string{"call.started"}},
			{roles.User, 403, nil},
		}
		for _, tt := range tests {
			t.Run(tt.role, func(t *testing.T) {
				u, err := db.Q().GetUser(ctx, tn.ID, ids[tt.role])
				if err != nil {
					t.Fatal(err)
				}
				p := &principal.Principal{User: u, TenantID: tn.ID}
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if err := h.events(w, r, p); err != nil {
						writeError(w, r, h.Log, err)
					}
				}))
				defer srv.Close()
				rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				req, _ := http.NewRequestWithContext(rctx, "GET", srv.URL, nil)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				if res.StatusCode != tt.status {
					t.Fatalf("status %d, want %d", res.StatusCode, tt.status)
				}
				if tt.status != 200 {
					return
				}
				lines := bufio.NewScanner(res.Body)
				if !lines.Scan() || lines.Text() != ": connected" {
					t.Fatalf("first line %q", lines.Text())
				}
				for _, e := range published {
					bus.Publish(ctx, e)
				}
				bus.Publish(ctx, events.Event{TenantID: tn.ID, Kind: "lagged", Data: []byte(`null`), At: at})
				var got []string
				for lines.Scan() {
					kind, ok := strings.CutPrefix(lines.Text(), "event: ")
					if !ok {
						continue
					}
					if kind == "lagged" {
						break
					}
					got = append(got, kind)
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("got %v, want %v", got, tt.want)
				}
			})
		}
	})
}
