package recorder

import (
	"context"
	"errors"
	"fmt"

	"callrec/internal/blob"
	"callrec/internal/store"
)

// errCallDeleted means the call was deleted (API, portal or retention)
// before its recording was stored: deletion wins, and the recorder drops
// the audio instead of retrying.
var errCallDeleted = errors.New("recorder: call deleted")

// audioKey is where a call's compressed recording is stored.
func audioKey(c store.Call) string {
	return fmt.Sprintf("%s/%s/%s.opus", c.TenantID, c.StartedAt.UTC().Format("2006/01/02"), c.ID)
}

// callDeleted reports whether the call's row is gone. Asked only once the
// row was written (endRow), so a missing row means a deleted call.
func (r *Recorder) callDeleted(ctx context.Context, c store.Call) (bool, error) {
	_, err := r.db.Q().GetCall(ctx, c.TenantID, c.ID)
	if errors.Is(err, store.ErrNotFound) {
		return true, nil
	}
	return false, err
}

// recordAudio notes on the call's row where its recording is stored, in
// one transaction with the check that the call is still there. A delete
// that committed first makes it errCallDeleted, and the caller deletes
// what it uploaded; a delete that comes after takes the key from the row
// as it deletes it (store.DeleteCall) and deletes the object itself.
func (r *Recorder) recordAudio(ctx context.Context, c store.Call, key, sum string, size int64) error {
	return r.db.InTx(ctx, func(tx store.Q) error {
		dead, err := tx.CallTombstoned(ctx, c.TenantID, c.ID)
		if err != nil {
			return err
		}
		if dead {
			return errCallDeleted
		}
		err = tx.SetCallAudio(ctx, c.TenantID, c.ID, key, "opus", sum, size)
		if errors.Is(err, store.ErrNotFound) {
			return errCallDeleted
		}
		if err != nil {
			return err
		}
		// Speech analytics: the job is queued with the stored audio, so no
		// stored call of a licensed user goes without its transcript.
		_, err = tx.QueueTranscriptIfLicensed(ctx, c.TenantID, c.ID)
		return err
	})
}

// dropDeleted ends the work on a call deleted before its recording was
// stored: the object is deleted in case an attempt uploaded it (this one,
// or an earlier one that failed to record it), the spool is removed, and
// nothing is retried. An object the blob store will not delete now is
// left on the call's tombstone for the worker's purge; only when the
// database cannot take that either is the drop retried.
func (r *Recorder) dropDeleted(ctx context.Context, dir string, c store.Call) error {
	key := audioKey(c)
	if err := r.blobs.Delete(ctx, key); err != nil && !errors.Is(err, blob.ErrNotFound) {
		if err := r.db.Q().TombstoneCall(ctx, c.TenantID, c.ID, key); err != nil {
			return fmt.Errorf("deleted call's upload: %w", err)
		}
	}
	removeSpool(dir)
	r.log.Info("recorder: call deleted before its recording was stored; audio dropped", "call", c.ID)
	return nil
}
