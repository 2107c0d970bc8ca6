package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
	only    Dialect // -1: both engines
}

// appliesTo reports whether the migration runs on the engine. A file named
// NNNN_name.postgres.sql or NNNN_name.sqlite.sql runs on that engine only
// (indexes one engine offers, such as trigram or FTS); on the other engine
// its version is recorded without running anything, so versions agree.
func (m migration) appliesTo(d Dialect) bool { return m.only < 0 || m.only == d }

func migrations() ([]migration, error) { return loadMigrations(migrationFiles) }

// loadMigrations reads NNNN_name[.engine].sql files from a migrations/ folder.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("store: migration file %q is not NNNN_name.sql", e.Name())
		}
		body, err := fs.ReadFile(fsys, "migrations/"+e.Name())
		if err != nil {
			return nil, err
		}
		only := Dialect(-1)
		switch {
		case strings.HasSuffix(e.Name(), ".postgres.sql"):
			only = Postgres
		case strings.HasSuffix(e.Name(), ".sqlite.sql"):
			only = SQLite
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(body), only: only})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// LatestVersion is the schema version this binary knows.
func LatestVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// SchemaVersion reads the version recorded in the database (0 when empty).
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	if _, err := db.sql.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMP NOT NULL)`); err != nil {
		return 0, fmt.Errorf("store: schema_migrations: %w", err)
	}
	var v int
	err := db.sql.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	return v, nil
}

// Migrate applies every migration the database lacks, each in its own
// transaction. It refuses a database whose schema is newer than the binary,
// since running old code on it could corrupt data.
func (db *DB) Migrate(ctx context.Context) (applied []string, err error) {
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	return db.apply(ctx, ms)
}

func (db *DB) apply(ctx context.Context, ms []migration) (applied []string, err error) {
	current, err := db.SchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	if latest := ms[len(ms)-1].version; current > latest {
		return nil, fmt.Errorf("%w (database at %d, binary knows %d)", ErrSchemaTooNew, current, latest)
	}
	runs := map[int]bool{} // versions with a migration for this engine
	for _, m := range ms {
		runs[m.version] = runs[m.version] || m.appliesTo(db.dialect)
	}
	recorded := map[int]bool{}
	for _, m := range ms {
		if m.version <= current || recorded[m.version] && !m.appliesTo(db.dialect) {
			continue
		}
		err := db.InTx(ctx, func(tx Q) error {
			if !m.appliesTo(db.dialect) {
				if runs[m.version] {
					return nil // its sibling for this engine records the version
				}
				_, err := tx.exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, m.version, m.name, db.Now())
				return err
			}
			for _, stmt := range splitStatements(m.sql) {
				if _, err := tx.q.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("store: migration %s: %w", m.name, err)
				}
			}
			_, err := tx.exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, m.version, m.name, db.Now())
			return err
		})
		if err != nil {
			return applied, err
		}
		recorded[m.version] = true
		if m.appliesTo(db.dialect) {
			applied = append(applied, m.name)
		}
	}
	return applied, nil
}

// CheckSchema fails unless the database is exactly at this binary's version.
func (db *DB) CheckSchema(ctx context.Context) error {
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if latest := LatestVersion(); v > latest {
		return fmt.Errorf("%w (database at %d, binary knows %d)", ErrSchemaTooNew, v, latest)
	} else if v < latest {
		return fmt.Errorf("store: database schema %d is older than %d: run callrec migrate", v, latest)
	}
	return nil
}

// splitStatements cuts a migration into statements at semicolons that end a
// line, dropping comment-only lines. Migrations avoid semicolons inside
// string literals, so this is enough.
func splitStatements(src string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(src, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
