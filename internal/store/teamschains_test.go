package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"callrec/internal/clock"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// TestTeamsChainListsOneRecordingUnderEachUser: a meeting recorded for
// two users is one call row, found by each user's filter and scope and by
// neither in another tenant; the chain's recorder is its first live
// recording leg.
func TestTeamsChainListsOneRecordingUnderEachUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		now := clock.Start()
		db := storetest.Open(t, b, func() time.Time { return now })
		q := db.Q()
		for _, id := range []string{"tenant-a", "tenant-b"} {
			if err := q.InsertTenant(ctx, store.Tenant{ID: id, Name: id, Timezone: "UTC", Language: "en", RetentionDays: 90, CreatedAt: now, UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
		for i, leg := range []string{"leg-1", "leg-2"} {
			err := q.InsertTeamsCall(ctx, store.TeamsCall{GraphCallID: leg, TenantID: "tenant-a", ChainID: "chain-1", Correlation: "corr-" + leg,
				ObservedAADID: "aad-" + leg, UserID: "user-x", Decision: "record", Status: "recording",
				CreatedAt: now.Add(time.Duration(i) * time.Second), UpdatedAt: now})
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, u := range []string{"user-1", "user-2"} {
			added, err := q.AddTeamsCallUser(ctx, store.TeamsCallUser{TenantID: "tenant-a", ChainID: "chain-1", UserID: u, GraphCallID: "leg-1", CreatedAt: now})
			if err != nil || !added {
				t.Fatalf("add %s: %v %v", u, added, err)
			}
		}
		if added, err := q.AddTeamsCallUser(ctx, store.TeamsCallUser{TenantID: "tenant-a", ChainID: "chain-1", UserID: "user-2", GraphCallID: "leg-2", CreatedAt: now}); err != nil || added {
			t.Fatalf("listing a user twice: added %v, %v", added, err)
		}
		if n, err := q.CountTeamsCallUsers(ctx, "tenant-a", "leg-1"); err != nil || n != 2 {
			t.Fatalf("count = %d, %v", n, err)
		}
		rec, err := q.ChainRecorder(ctx, "tenant-a", "chain-1")
		if err != nil || rec.GraphCallID != "leg-1" {
			t.Fatalf("chain recorder = %q, %v; want leg-1", rec.GraphCallID, err)
		}
		if _, err := q.ChainRecorder(ctx, "tenant-b", "chain-1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another tenant's chain recorder: %v", err)
		}
		for _, c := range []store.Call{
			{ID: "meeting", TenantID: "tenant-a", ExternalCallID: "leg-1", RecordedUserID: "user-1"},
			{ID: "other", TenantID: "tenant-a", RecordedUserID: "user-3"},
			{ID: "b-meeting", TenantID: "tenant-b", ExternalCallID: "leg-1", RecordedUserID: "user-9"},
		} {
			c.State, c.Direction, c.StartedAt, c.CreatedAt, c.UpdatedAt, c.Recorded = store.CallCompleted, "inbound", now, now, now, true
			if err := q.InsertCall(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			tenant string
			users  []string
			want   []string
		}{
			{"tenant-a", []string{"user-1"}, []string{"meeting"}},
			{"tenant-a", []string{"user-2"}, []string{"meeting"}},
			{"tenant-a", []string{"user-2", "user-3"}, []string{"meeting", "other"}},
			{"tenant-a", []string{"user-9"}, nil},
			{"tenant-b", []string{"user-2"}, nil},
			{"tenant-b", []string{"user-9"}, []string{"b-meeting"}},
		} {
			recs, _, err := q.SearchRecordings(ctx, tc.tenant, store.RecordingFilter{UserIDs: tc.users})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range recs {
				got = append(got, r.ID)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s scope %v: %v, want %v", tc.tenant, tc.users, got, tc.want)
			}
			calls, _, err := q.ListCalls(ctx, tc.tenant, store.CallFilter{UserIDs: tc.users})
			if err != nil || len(calls) != len(tc.want) {
				t.Errorf("%s ListCalls %v: %d calls, %v; want %d", tc.tenant, tc.users, len(calls), err, len(tc.want))
			}
			for _, id := range []string{"meeting", "b-meeting"} {
				ok, err := q.CallListedUnder(ctx, tc.tenant, id, tc.users)
				if want := slices.Contains(tc.want, id); err != nil || ok != want {
					t.Errorf("%s CallListedUnder(%s, %v) = %v, %v; want %v", tc.tenant, id, tc.users, ok, err, want)
				}
			}
		}
		recs, _, err := q.SearchRecordings(ctx, "tenant-a", store.RecordingFilter{UserID: "user-2"})
		if err != nil || len(recs) != 1 || recs[0].ID != "meeting" {
			t.Fatalf("user filter user-2: %v %v", recs, err)
		}
	})
}
