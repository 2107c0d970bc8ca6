package store_test

import (
	"context"
	"errors"
	"testing"

	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

func TestMigrateIsIdempotentAndRefusesNewerSchema(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		url := b.URL(t)
		db, err := store.Open(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		applied, err := db.Migrate(ctx)
		if err != nil || len(applied) == 0 {
			t.Fatalf("first migrate: applied %v, err %v", applied, err)
		}
		applied, err = db.Migrate(ctx)
		if err != nil || len(applied) != 0 {
			t.Fatalf("second migrate: applied %v, err %v", applied, err)
		}
		if err := db.CheckSchema(ctx); err != nil {
			t.Fatalf("check schema: %v", err)
		}
		if err := db.InsertFutureMigrationForTest(ctx, store.LatestVersion()+1); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Migrate(ctx); !errors.Is(err, store.ErrSchemaTooNew) {
			t.Fatalf("migrate on newer schema: %v, want ErrSchemaTooNew", err)
		}
		if err := db.CheckSchema(ctx); !errors.Is(err, store.ErrSchemaTooNew) {
			t.Fatalf("check on newer schema: %v, want ErrSchemaTooNew", err)
		}
	})
}
