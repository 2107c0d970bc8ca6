package recordings

import (
	"context"
	"errors"
	"fmt"
	"time"

	"callrec/internal/blob"
	"callrec/internal/store"
)

// tombstoneKeep is how long a deleted call's tombstone outlives it. A
// recorder still holding the call's spool (its blob store down, the node
// stopped) finds the tombstone and drops the audio instead of uploading it
// or writing the row again; spools live minutes, a month is far beyond.
const tombstoneKeep = 30 * 24 * time.Hour

// purgeBatch is how many deleted calls' audio one PurgeDeleted removes.
const purgeBatch = 200

// deleteCall removes the call's row and leaves its tombstone in one
// transaction, then its audio. Deletion wins over a recorder still
// uploading: the row is gone for every reader at once, the recorder looks
// for it in the transaction that records an upload (and deletes what it
// uploaded when it is gone), and the blob key is the one the row held as it
// was deleted, so an upload recorded a moment before is deleted here. Audio
// the blob store does not delete now stays on the tombstone for
// PurgeDeleted.
func (s *Service) deleteCall(ctx context.Context, tenantID, id string, audit func(tx store.Q) error) error {
	var key string
	err := s.DB.InTx(ctx, func(tx store.Q) error {
		var err error
		if key, err = tx.DeleteCall(ctx, tenantID, id); err != nil {
			return err
		}
		return audit(tx)
	})
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	s.purge(ctx, store.Tombstone{TenantID: tenantID, CallID: id, BlobKey: key})
	return nil
}

// purge removes a deleted call's audio and clears it from the tombstone;
// it reports whether the audio is gone.
func (s *Service) purge(ctx context.Context, t store.Tombstone) bool {
	if t.BlobKey == "" {
		return true
	}
	if s.Blobs == nil {
		return false // a web node without blob access: the worker purges
	}
	if err := s.Blobs.Delete(ctx, t.BlobKey); err != nil && !errors.Is(err, blob.ErrNotFound) {
		s.log().Warn("recordings: deleted call's audio not removed yet; retried by the worker",
			"tenant_id", t.TenantID, "call_id", t.CallID, "err", err)
		return false
	}
	if err := s.DB.Q().AudioPurged(ctx, t.TenantID, t.CallID, t.BlobKey); err != nil {
		s.log().Warn("recordings: deleted call's audio removed but not noted; removed again later",
			"tenant_id", t.TenantID, "call_id", t.CallID, "err", err)
		return false
	}
	return true
}

// PurgeDeleted removes the audio of deleted calls that the blob store
// refused (or a node without blob access left) when they were deleted, and
// forgets tombstones older than tombstoneKeep whose audio is gone. The
// worker runs it every minute; it returns how many recordings it removed.
func (s *Service) PurgeDeleted(ctx context.Context) (int, error) {
	if s.Blobs == nil {
		return 0, errors.New("recordings: no blob store to delete audio from")
	}
	ts, err := s.DB.Q().TombstonesWithAudio(ctx, purgeBatch)
	if err != nil {
		return 0, err
	}
	purged := 0
	for _, t := range ts {
		if s.purge(ctx, t) {
			purged++
		}
	}
	if _, err := s.DB.Q().DropTombstones(ctx, s.now().Add(-tombstoneKeep)); err != nil {
		return purged, fmt.Errorf("recordings: %w", err)
	}
	return purged, nil
}
