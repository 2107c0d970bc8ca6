package store

import "context"

// InsertFutureMigrationForTest pretends a newer binary migrated the database.
func (db *DB) InsertFutureMigrationForTest(ctx context.Context, version int) error {
	_, err := db.Q().exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', ?)`, version, db.Now())
	return err
}
