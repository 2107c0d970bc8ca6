package store

import (
	"context"
	"io/fs"
)

// InsertFutureMigrationForTest pretends a newer binary migrated the database.
func (db *DB) InsertFutureMigrationForTest(ctx context.Context, version int) error {
	_, err := db.Q().exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', ?)`, version, db.Now())
	return err
}

// ApplyForTest runs the migrations of another folder (engine-specific file tests).
func (db *DB) ApplyForTest(ctx context.Context, fsys fs.FS) ([]string, error) {
	ms, err := loadMigrations(fsys)
	if err != nil {
		return nil, err
	}
	return db.apply(ctx, ms)
}

// PlannerStatsForTest counts SQLite's planner statistics rows of a table.
func (db *DB) PlannerStatsForTest(ctx context.Context, table string) (int, error) {
	var n int
	err := db.Q().row(ctx, `SELECT count(*) FROM sqlite_stat1 WHERE tbl = ?`, table).Scan(&n)
	return n, err
}
