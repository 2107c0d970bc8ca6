// Package storetest opens a fresh, migrated store for a test: SQLite in the
// test's temp dir, and PostgreSQL in a schema of its own when
// CALLREC_TEST_POSTGRES_URL is set.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"callrec/internal/store"
)

// Backend is one database a test can run on.
type Backend struct {
	Name string
	// URL opens the database; for PostgreSQL it names a schema of its own.
	URL func(t testing.TB) string
}

// Backends returns SQLite always and PostgreSQL when configured.
func Backends() []Backend {
	out := []Backend{{Name: "sqlite", URL: sqliteURL}}
	if pg := os.Getenv("CALLREC_TEST_POSTGRES_URL"); pg != "" {
		out = append(out, Backend{Name: "postgres", URL: func(t testing.TB) string { return postgresURL(t, pg) }})
	}
	return out
}

func sqliteURL(t testing.TB) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "callrec.db")
}

// postgresURL creates a schema for the test, drops it when the test ends, and
// returns a URL whose search_path selects it.
func postgresURL(t testing.TB, base string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("storetest: create schema: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a migrated store on the backend, closed when the test ends.
func Open(t testing.TB, b Backend, now func() time.Time) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, b.URL(t), now)
	if err != nil {
		t.Fatalf("storetest: open %s: %v", b.Name, err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("storetest: migrate %s: %v", b.Name, err)
	}
	return db
}

// Each runs fn as a subtest on every backend.
func Each(t *testing.T, fn func(t *testing.T, b Backend)) {
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, b) })
	}
}
