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

// errLeaseLost means an encode job's lease ran out and another node holds
// it now: this attempt stores nothing.
var errLeaseLost = errors.New("recorder: encode job lease lost")

// audioKey is where a call's compressed recording is stored.
func audioKey(c store.Call) string {
	return fmt.Sprintf("%s/%s/%s.opus", c.TenantID, c.StartedAt.UTC().Format("2006/01/02"), c.ID)
}

// recordAudio notes on the call's row where its recording is stored, in
// one transaction with the check that the call is still there. A delete
// that committed first makes it errCallDeleted, and the caller deletes
// what it uploaded; a delete that comes after takes the key from the row
// as it deletes it (store.DeleteCall) and deletes the object itself. With
// a lease owner (a job from the encode queue) the job is completed in the
// same transaction, and errLeaseLost means another holder stores it.
func recordAudio(ctx context.Context, db *store.DB, c store.Call, key, sum string, size int64, owner string) error {
	return db.InTx(ctx, func(tx store.Q) error {
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
		if owner != "" {
			if err := tx.CompleteEncodeJob(ctx, c.TenantID, c.ID, owner); errors.Is(err, store.ErrNotFound) {
				return errLeaseLost
			} else if err != nil {
				return err
			}
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
// nothing is retried. Only when neither the blob store nor the database
// takes the drop is it retried.
func (r *Recorder) dropDeleted(ctx context.Context, dir string, c store.Call) error {
	if err := dropUpload(ctx, r.db, r.blobs, c); err != nil {
		return err
	}
	r.release(dir)
	r.log.Info("recorder: call deleted before its recording was stored; audio dropped", "call", c.ID)
	return nil
}

// dropUpload deletes a deleted call's object in case an attempt uploaded
// it; one the blob store will not delete now is left on the call's
// tombstone for the worker's purge.
func dropUpload(ctx context.Context, db *store.DB, blobs blob.Store, c store.Call) error {
	key := audioKey(c)
	if err := blobs.Delete(ctx, key); err != nil && !errors.Is(err, blob.ErrNotFound) {
		if err := db.Q().TombstoneCall(ctx, c.TenantID, c.ID, key); err != nil {
			return fmt.Errorf("deleted call's upload: %w", err)
		}
	}
	return nil
}
