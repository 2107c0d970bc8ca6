package store

import (
	"context"
	"fmt"
	"time"
)

// DeleteCall removes a call of the tenant with its participants, notes and
// pauses (the foreign keys cascade) and leaves a tombstone in its place.
// It returns the blob key the row held as it went — not what the caller
// read before, since an upload may have recorded its key in between — and
// the tombstone keeps that key until AudioPurged. Run it inside DB.InTx so
// that the row and the tombstone change together.
func (q Q) DeleteCall(ctx context.Context, tenantID, id string) (blobKey string, err error) {
	err = mapErr(q.row(ctx, `DELETE FROM calls WHERE tenant_id = ? AND id = ? RETURNING blob_key`, tenantID, id).Scan(&blobKey))
	if err != nil {
		return "", fmt.Errorf("store: delete call: %w", err)
	}
	if err := q.TombstoneCall(ctx, tenantID, id, blobKey); err != nil {
		return "", err
	}
	return blobKey, nil
}

// TombstoneCall marks a call of the tenant deleted, with the blob key of
// audio still to be removed (empty: none). A tombstone already there keeps
// its key unless blobKey names one.
func (q Q) TombstoneCall(ctx context.Context, tenantID, id, blobKey string) error {
	_, err := q.exec(ctx, `INSERT INTO call_tombstones (tenant_id, call_id, blob_key, deleted_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (tenant_id, call_id) DO UPDATE SET blob_key = CASE WHEN excluded.blob_key <> '' THEN excluded.blob_key ELSE call_tombstones.blob_key END`,
		tenantID, id, blobKey, q.Now())
	if err != nil {
		return fmt.Errorf("store: tombstone call: %w", err)
	}
	return nil
}

// CallTombstoned reports whether the call of the tenant was deleted.
func (q Q) CallTombstoned(ctx context.Context, tenantID, id string) (bool, error) {
	var n int
	err := q.row(ctx, `SELECT COUNT(*) FROM call_tombstones WHERE tenant_id = ? AND call_id = ?`, tenantID, id).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: call tombstone: %w", mapErr(err))
	}
	return n > 0, nil
}

// Tombstone is a deleted call whose audio is still in the blob store.
type Tombstone struct {
	TenantID  string
	CallID    string
	BlobKey   string
	DeletedAt time.Time
}

// TombstonesWithAudio lists up to limit deleted calls, across tenants,
// whose audio is still to be removed, oldest first: the purge's work list.
func (q Q) TombstonesWithAudio(ctx context.Context, limit int) ([]Tombstone, error) {
	rows, err := q.query(ctx, `SELECT tenant_id, call_id, blob_key, deleted_at FROM call_tombstones
		WHERE blob_key <> '' ORDER BY deleted_at LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: tombstones: %w", err)
	}
	defer rows.Close()
	var out []Tombstone
	for rows.Next() {
		var t Tombstone
		if err := rows.Scan(&t.TenantID, &t.CallID, &t.BlobKey, &t.DeletedAt); err != nil {
			return nil, fmt.Errorf("store: tombstones: %w", mapErr(err))
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// AudioPurged notes that the deleted call's audio at blobKey is gone from
// the blob store.
func (q Q) AudioPurged(ctx context.Context, tenantID, id, blobKey string) error {
	_, err := q.exec(ctx, `UPDATE call_tombstones SET blob_key = '' WHERE tenant_id = ? AND call_id = ? AND blob_key = ?`,
		tenantID, id, blobKey)
	if err != nil {
		return fmt.Errorf("store: audio purged: %w", err)
	}
	return nil
}

// DropTombstones forgets deleted calls older than before whose audio is
// gone, and says how many.
func (q Q) DropTombstones(ctx context.Context, before time.Time) (int64, error) {
	res, err := q.exec(ctx, `DELETE FROM call_tombstones WHERE blob_key = '' AND deleted_at < ?`, before.UTC())
	if err != nil {
		return 0, fmt.Errorf("store: drop tombstones: %w", err)
	}
	return res.RowsAffected()
}
