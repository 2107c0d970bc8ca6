package recorder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"callrec/internal/store"
)

// dbWait bounds the database work of an INVITE: past it the call is
// answered and recorded anyway, and its row written later.
const dbWait = 2 * time.Second

// reasonDBDown is the decision stored on a call accepted while the
// database could not say whose call it was: the recorder records rather
// than lose a call it may be obliged to keep.
const reasonDBDown = "database unavailable at INVITE: recorded by default"

// rowPendingFile marks a spool whose call row is not in the database yet.
const rowPendingFile = "row.pending"

func markRowPending(dir string) error {
	if err := os.WriteFile(filepath.Join(dir, rowPendingFile), nil, 0o600); err != nil {
		return fmt.Errorf("recorder: mark row pending: %w", err)
	}
	return nil
}

func rowPending(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, rowPendingFile))
	return err == nil
}

// insertCall writes the row, its participants and the pause spans its
// spool in dir already holds (an on-demand call's span from the start: no
// one can pause a call before its row exists) all or nothing, so that a
// retry after a failure never finds half a call. A call with a tombstone
// is errCallDeleted: a pending marker that outlived its row (its removal
// lost in a crash) must not bring a deleted call back.
func (r *Recorder) insertCall(ctx context.Context, dir string, c store.Call) error {
	var spans []pauseSpan
	if err := readJSONFile(filepath.Join(dir, pausesFile), &spans); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("recorder: pause spans: %w", err)
	}
	return r.db.InTx(ctx, func(tx store.Q) error {
		if dead, err := tx.CallTombstoned(ctx, c.TenantID, c.ID); err != nil {
			return err
		} else if dead {
			return errCallDeleted
		}
		if err := tx.InsertCall(ctx, c); err != nil {
			return err
		}
		for _, sp := range spans {
			p := store.CallPause{ID: newID(), StartMS: sp.StartMS, PausedBy: store.OnDemandPause}
			if err := tx.InsertCallPause(ctx, c.TenantID, c.ID, p); err != nil {
				return err
			}
			if sp.EndMS != nil {
				if err := tx.EndCallPause(ctx, c.TenantID, c.ID, *sp.EndMS, store.OnDemandPause); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// insertPendingRow writes the row of a call accepted during a database
// outage, as call.json has it, with the expiry the tenant's retention gives.
// A row that is already there (a concurrent retry won) counts as written.
func (r *Recorder) insertPendingRow(ctx context.Context, dir string, c store.Call) error {
	if c.ExpiresAt == nil {
		t, err := r.db.Q().GetTenant(ctx, c.TenantID)
		if errors.Is(err, store.ErrNotFound) {
			return errCallDeleted // the tenant went, and its calls with it
		}
		if err != nil {
			return fmt.Errorf("recorder: pending row: %w", err)
		}
		e := c.StartedAt.AddDate(0, 0, t.RetentionDays)
		c.ExpiresAt = &e
	}
	if err := r.insertCall(ctx, dir, c); err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("recorder: pending row: %w", err)
	}
	if err := os.Remove(filepath.Join(dir, rowPendingFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("recorder: pending row: %w", err)
	}
	return nil
}

// retryRow writes a live call's pending row as soon as the database is
// back; once the call ends, the finisher's endRow takes over.
func (r *Recorder) retryRow(s *session) {
	defer r.cfg.Guard.Recover("recorder pending row")
	ctx := context.Background()
	for s.rowPending.Load() {
		time.Sleep(r.cfg.RetryEvery)
		r.mu.Lock()
		live := r.sessions[s.call.SIPCallID] == s
		r.mu.Unlock()
		if _, err := os.Stat(filepath.Join(s.dir, endFile)); !live && err == nil {
			return
		}
		if err := r.insertPendingRow(ctx, s.dir, s.call); errors.Is(err, errCallDeleted) {
			return
		} else if err != nil {
			r.log.Debug("recorder: call row still pending", "call", s.call.ID, "err", err)
			continue
		}
		s.rowPending.Store(false)
		r.log.Info("recorder: call row written after a database outage", "call", s.call.ID)
	}
}
