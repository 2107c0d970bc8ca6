package recordings_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"callrec/internal/account"
	"callrec/internal/blob"
	"callrec/internal/recordings"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// refusing is a blob store whose deletions fail while it is down.
type refusing struct {
	blob.Store
	down atomic.Bool
}

func (r *refusing) Delete(ctx context.Context, key string) error {
	if r.down.Load() {
		return errors.New("blob store unreachable")
	}
	return r.Store.Delete(ctx, key)
}

// TestDeletedAudioPurgedLater expires calls while the blob store refuses
// deletions: the rows go at once and their tombstones keep the audio's
// keys; PurgeDeleted removes the audio once the store is back, and forgets
// the tombstones a month later. Tombstones are the tenant's own.
func TestDeletedAudioPurgedLater(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clock, db, accounts, tn := newTenant(t, b, 1)
		disk, err := blob.NewDisk(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		blobs := &refusing{Store: disk}
		svc := &recordings.Service{DB: db, Accounts: accounts, Blobs: blobs, Now: clock.Now}
		var calls []store.Call
		for range 3 {
			start := clock.Now()
			exp := start.Add(time.Hour)
			c := store.Call{ID: account.NewID(), TenantID: tn.ID, State: store.CallCompleted, StartedAt: start, ExpiresAt: &exp,
				BlobKey: tn.ID + "/" + account.NewID() + ".opus", SizeBytes: 4, Recorded: true, CreatedAt: start, UpdatedAt: start}
			src := filepath.Join(t.TempDir(), "a")
			if err := os.WriteFile(src, []byte("OggS"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := disk.Put(ctx, c.BlobKey, src); err != nil {
				t.Fatal(err)
			}
			if err := db.Q().InsertCall(ctx, c); err != nil {
				t.Fatal(err)
			}
			calls = append(calls, c)
		}
		audio := func(c store.Call) bool {
			o, err := disk.Open(ctx, c.BlobKey)
			if err == nil {
				o.Close()
			}
			return err == nil
		}

		blobs.down.Store(true)
		clock.Advance(2 * time.Hour)
		res, err := svc.Sweep(ctx)
		if err != nil || res.Deleted != 3 || res.Failed != 0 {
			t.Fatalf("sweep with the blob store down: %+v %v; want 3 rows deleted", res, err)
		}
		pending, err := db.Q().TombstonesWithAudio(ctx, 10)
		if err != nil || len(pending) != 3 {
			t.Fatalf("tombstones holding audio: %+v %v, want 3", pending, err)
		}
		for _, c := range calls {
			if _, err := db.Q().GetCall(ctx, tn.ID, c.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("row kept: %v", err)
			}
			if dead, err := db.Q().CallTombstoned(ctx, tn.ID, c.ID); err != nil || !dead {
				t.Errorf("no tombstone: %v %v", dead, err)
			}
			if dead, err := db.Q().CallTombstoned(ctx, "another-tenant", c.ID); err != nil || dead {
				t.Errorf("another tenant sees the tombstone: %v %v", dead, err)
			}
		}
		if n, err := svc.PurgeDeleted(ctx); err != nil || n != 0 || !audio(calls[0]) {
			t.Fatalf("purge with the store still down: %d %v", n, err)
		}

		blobs.down.Store(false)
		if n, err := svc.PurgeDeleted(ctx); err != nil || n != 3 {
			t.Fatalf("purge: %d %v, want 3", n, err)
		}
		for _, c := range calls {
			if audio(c) {
				t.Errorf("audio of %s kept after the purge", c.ID)
			}
		}
		clock.Advance(31 * 24 * time.Hour)
		if _, err := svc.PurgeDeleted(ctx); err != nil {
			t.Fatal(err)
		}
		if dead, err := db.Q().CallTombstoned(ctx, tn.ID, calls[0].ID); err != nil || dead {
			t.Errorf("tombstone kept after a month: %v %v", dead, err)
		}
	})
}
