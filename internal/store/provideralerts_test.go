package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"callrec/internal/clock"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// TestProviderAlerts: an alert is raised once per dedup key within the
// window, again after it, and a resolved alert leaves the open list; a
// tenant's max_calls round-trips, 0 by default.
func TestProviderAlerts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		c := clock.NewFake()
		db := storetest.Open(t, b, c.Now)
		ctx := context.Background()
		raise := func(id string) bool {
			t.Helper()
			var raised bool
			err := db.InTx(ctx, func(tx store.Q) error {
				var err error
				raised, err = tx.RaiseProviderAlert(ctx, store.ProviderAlert{ID: id, Kind: "k", Message: "m " + id,
					Detail: []byte(`{"n":1}`), DedupKey: "a|b", CreatedAt: db.Now()}, db.Now().Add(-time.Hour))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return raised
		}
		if !raise("1") || raise("2") {
			t.Fatal("want the first alert raised and the second within the hour not")
		}
		c.Advance(61 * time.Minute)
		if !raise("3") {
			t.Fatal("an hour later the alert is raised again")
		}
		open, err := db.Q().OpenProviderAlerts(ctx)
		if err != nil || len(open) != 2 || open[0].ID != "3" || string(open[0].Detail) != `{"n":1}` {
			t.Fatalf("open = %+v, %v", open, err)
		}
		if err := db.Q().ResolveProviderAlert(ctx, "3", db.Now()); err != nil {
			t.Fatal(err)
		}
		if err := db.Q().ResolveProviderAlert(ctx, "3", db.Now()); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("resolving twice: %v", err)
		}
		if open, _ := db.Q().OpenProviderAlerts(ctx); len(open) != 1 || open[0].ID != "1" {
			t.Errorf("after resolve: %+v", open)
		}

		tn := store.Tenant{ID: "t1", Name: "Contoso", Timezone: "UTC", Language: "en", RetentionDays: 90, TermsVersion: 1,
			CreatedAt: db.Now(), UpdatedAt: db.Now()}
		if err := db.Q().InsertTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Q().GetTenant(ctx, "t1"); got.MaxCalls != 0 {
			t.Errorf("default max_calls %d", got.MaxCalls)
		}
		tn.MaxCalls = 7
		if err := db.Q().UpdateTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Q().GetTenant(ctx, "t1"); got.MaxCalls != 7 {
			t.Errorf("max_calls %d, want 7", got.MaxCalls)
		}
	})
}
