// Package store keeps callrec's data in SQLite (embedded) or PostgreSQL.
// One schema serves both; each method that touches tenant data takes the
// tenant id and filters by it.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"               // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names the SQL engine behind a DB.
type Dialect int

// The supported engines.
const (
	SQLite Dialect = iota
	Postgres
)

// Sentinel errors every driver maps its own errors to.
var (
	ErrNotFound          = errors.New("store: not found")
	ErrConflict          = errors.New("store: already exists")
	ErrLicenseExhausted  = errors.New("store: license pool exhausted")
	ErrSchemaTooNew      = errors.New("store: database schema is newer than this binary")
	ErrDefaultGroupFixed = errors.New("store: the default group cannot be changed")
	ErrBadCursor         = errors.New("store: malformed cursor")
)

// DB is the store: a connection pool plus the dialect it speaks.
type DB struct {
	sql     *sql.DB
	dialect Dialect
	now     func() time.Time
}

// Open connects to a sqlite://FILE or postgres:// URL. It does not migrate.
func Open(ctx context.Context, rawURL string, now func() time.Time) (*DB, error) {
	if now == nil {
		now = time.Now
	}
	db := &DB{now: now}
	var err error
	switch {
	case strings.HasPrefix(rawURL, "sqlite://"):
		db.dialect = SQLite
		db.sql, err = openSQLite(strings.TrimPrefix(rawURL, "sqlite://"))
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		db.dialect = Postgres
		db.sql, err = sql.Open("pgx", rawURL)
		if err == nil {
			db.sql.SetMaxOpenConns(20)
		}
	default:
		return nil, fmt.Errorf("store: unsupported database URL scheme in %q (want sqlite:// or postgres://)", redact(rawURL))
	}
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	if err := db.sql.PingContext(ctx); err != nil {
		db.sql.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", redact(rawURL), err)
	}
	return db, nil
}

func openSQLite(path string) (*sql.DB, error) {
	if path == "" {
		return nil, errors.New("empty sqlite path")
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
	}
	if err := ownerOnly(path); err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	d, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	d.SetMaxOpenConns(8)
	return d, nil
}

// ownerOnly creates the database file readable by its owner only, and
// narrows an existing one (and its WAL files, which SQLite creates with the
// database file's mode) to that: it holds password hashes and secrets.
func ownerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("store: %w", err)
		}
	}
	return nil
}

// redact hides a password in a database URL so it can be logged.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// Close releases the pool.
func (db *DB) Close() error { return db.sql.Close() }

// Dialect reports the engine.
func (db *DB) Dialect() Dialect { return db.dialect }

// Ping checks that the database answers; /readyz uses it.
func (db *DB) Ping(ctx context.Context) error { return db.sql.PingContext(ctx) }

// Now is the store's clock, truncated to what both engines keep.
func (db *DB) Now() time.Time { return db.now().UTC().Truncate(time.Microsecond) }

// rebind turns ? placeholders into $n for PostgreSQL.
func (db *DB) rebind(q string) string {
	if db.dialect != Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// Q runs queries against the pool or inside a transaction.
type Q struct {
	db *DB
	q  querier
}

// Q returns a query runner on the pool.
func (db *DB) Q() Q { return Q{db: db, q: db.sql} }

// InTx runs fn in a transaction, committing when it returns nil.
func (db *DB) InTx(ctx context.Context, fn func(tx Q) error) error {
	sqlTx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(Q{db: db, q: sqlTx}); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", mapErr(err))
	}
	return nil
}

func (q Q) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := q.q.ExecContext(ctx, q.db.rebind(query), args...)
	return res, mapErr(err)
}

func (q Q) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := q.q.QueryContext(ctx, q.db.rebind(query), args...)
	return rows, mapErr(err)
}

func (q Q) row(ctx context.Context, query string, args ...any) *sql.Row {
	return q.q.QueryRowContext(ctx, q.db.rebind(query), args...)
}

// Now is the store clock, for callers that stamp rows.
func (q Q) Now() time.Time { return q.db.Now() }

// mapErr turns driver errors into the package's sentinels.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return fmt.Errorf("%w: %v", ErrConflict, err)
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %v", ErrConflict, err)
		}
	}
	return err
}

// affectedOne reports ErrNotFound when an UPDATE or DELETE matched no row.
func affectedOne(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
