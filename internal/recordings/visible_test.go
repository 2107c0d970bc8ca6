package recordings_test

import (
	"context"
	"errors"
	"testing"

	"callrec/internal/recordings"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// TestVisibleThroughChain: a live event of a meeting recorded under one
// user reaches a scoped caller who is another recorded user of its Teams
// chain, not one outside the chain, and never a leg's row without audio.
func TestVisibleThroughChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		c, db, accounts, tn := newTenant(t, b, 0)
		ctx := context.Background()
		q := db.Q()
		now := c.Now()
		if err := q.InsertTeamsCall(ctx, store.TeamsCall{GraphCallID: "leg-1", TenantID: tn.ID, ChainID: "chain-1", Correlation: "c1",
			UserID: "alex", Decision: "record", Status: "recording", CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		if _, err := q.AddTeamsCallUser(ctx, store.TeamsCallUser{TenantID: tn.ID, ChainID: "chain-1", UserID: "megan", GraphCallID: "leg-1", CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		svc := &recordings.Service{DB: db, Accounts: accounts, Now: c.Now}
		meeting := store.Call{ID: "m", TenantID: tn.ID, ExternalCallID: "leg-1", RecordedUserID: "alex", Recorded: true, State: store.CallActive}
		silent := meeting
		silent.ID, silent.Recorded, silent.RecordedUserID = "m2", false, ""
		for _, tc := range []struct {
			scope recordings.Scope
			call  store.Call
			want  bool
		}{
			{recordings.Scope{UserIDs: []string{"alex"}}, meeting, true},
			{recordings.Scope{UserIDs: []string{"megan"}}, meeting, true},
			{recordings.Scope{UserIDs: []string{"emily"}}, meeting, false},
			{recordings.Scope{UserIDs: []string{"megan"}}, silent, false},
			{recordings.Scope{}, silent, true}, // an admin sees every row
		} {
			if err := q.InsertCall(ctx, store.Call{ID: tc.call.ID, TenantID: tn.ID, ExternalCallID: tc.call.ExternalCallID, RecordedUserID: tc.call.RecordedUserID,
				Recorded: tc.call.Recorded, State: tc.call.State, Direction: "inbound", StartedAt: now, CreatedAt: now, UpdatedAt: now}); err != nil && !isConflict(err) {
				t.Fatal(err)
			}
			if got := svc.Visible(ctx, tc.scope, tc.call); got != tc.want {
				t.Errorf("%v sees %s: %v, want %v", tc.scope.UserIDs, tc.call.ID, got, tc.want)
			}
		}
	})
}

func isConflict(err error) bool { return errors.Is(err, store.ErrConflict) }
