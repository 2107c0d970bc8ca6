package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

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

// Engine-specific migration files run on their engine only; the other
// engine records their version so both stay at the same schema version.
func TestEngineSpecificMigrations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db, err := store.Open(ctx, b.URL(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		files := fstest.MapFS{
			"migrations/0001_base.sql":          {Data: []byte("CREATE TABLE t1 (id TEXT PRIMARY KEY);\n")},
			"migrations/0002_idx.postgres.sql":  {Data: []byte("CREATE TABLE only_pg (id TEXT);\n")},
			"migrations/0002_idx.sqlite.sql":    {Data: []byte("CREATE TABLE only_lite (id TEXT);\n")},
			"migrations/0003_more.postgres.sql": {Data: []byte("CREATE TABLE only_pg_2 (id TEXT);\n")},
		}
		applied, err := db.ApplyForTest(ctx, files)
		if err != nil {
			t.Fatal(err)
		}
		want := "0001_base.sql 0002_idx.sqlite.sql"
		if db.Dialect() == store.Postgres {
			want = "0001_base.sql 0002_idx.postgres.sql 0003_more.postgres.sql"
		}
		if got := strings.Join(applied, " "); got != want {
			t.Fatalf("applied %q, want %q", got, want)
		}
		if v, err := db.SchemaVersion(ctx); err != nil || v != 3 {
			t.Fatalf("schema version %d %v, want 3", v, err)
		}
		if again, err := db.ApplyForTest(ctx, files); err != nil || len(again) != 0 {
			t.Fatalf("second run: %v %v", again, err)
		}
	})
}
