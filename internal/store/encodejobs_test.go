package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"callrec/internal/clock"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// TestEncodeJobQueue: an offered job is claimed once; while its lease
// holds nobody else gets it, and once the lease ran out (its holder died)
// another node claims it and the first holder can neither renew nor
// complete it. A recorder claiming back its own jobs sees only those,
// offered long enough ago. Offering again keeps the row; other tenants
// cannot touch it; the job goes with its call.
func TestEncodeJobQueue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		c := clock.NewFake()
		db := storetest.Open(t, b, c.Now)
		ctx := context.Background()
		q := db.Q()
		now := db.Now()
		for _, id := range []string{"tenant-a", "tenant-b"} {
			if err := q.InsertTenant(ctx, store.Tenant{ID: id, Name: id, Timezone: "UTC", Language: "en", RetentionDays: 90, CreatedAt: now, UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range []string{"c1", "c2"} {
			if err := q.InsertCall(ctx, store.Call{ID: id, TenantID: "tenant-a", State: store.CallCompleted, StartedAt: now, CreatedAt: now, UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
		if err := q.OfferEncodeJob(ctx, store.EncodeJob{TenantID: "tenant-a", CallID: "c1", RecorderNode: "rec-a", AudioMS: 60000}); err != nil {
			t.Fatal(err)
		}
		c.Advance(time.Second)
		if err := q.OfferEncodeJob(ctx, store.EncodeJob{TenantID: "tenant-a", CallID: "c2", RecorderNode: "rec-b", AudioMS: 1000}); err != nil {
			t.Fatal(err)
		}
		if err := q.OfferEncodeJob(ctx, store.EncodeJob{TenantID: "tenant-a", CallID: "c1", RecorderNode: "elsewhere"}); err != nil {
			t.Fatalf("offering again: %v", err)
		}
		lease := time.Minute
		claim := func(owner, node string, before time.Time) (store.EncodeJob, bool) {
			t.Helper()
			j, ok, err := q.ClaimEncodeJob(ctx, store.EncodeClaim{Owner: owner, Now: c.Now(), LeaseUntil: c.Now().Add(lease), Node: node, OfferedBefore: before})
			if err != nil {
				t.Fatal(err)
			}
			return j, ok
		}

		// A recorder takes back only its own, and only after the grace.
		if _, ok := claim("rec-b", "rec-b", c.Now().Add(-time.Hour)); ok {
			t.Fatal("claimed a job offered within the grace period")
		}
		if j, ok, err := q.ClaimEncodeJob(ctx, store.EncodeClaim{Owner: "rec-a/w", Now: c.Now(), LeaseUntil: c.Now().Add(lease), NotNode: "rec-a"}); err != nil || !ok || j.CallID != "c2" {
			t.Fatalf("claim skipping rec-a's jobs = %+v, %v, %v; want c2", j, ok, err)
		}
		if err := q.RenewEncodeLease(ctx, "tenant-a", "c2", "rec-a/w", c.Now().Add(-time.Second)); err != nil {
			t.Fatal(err) // deferred into the past: claimable again
		}
		j, ok := claim("worker-1", "", time.Time{})
		if !ok || j.CallID != "c1" || j.RecorderNode != "rec-a" || j.AudioMS != 60000 || j.Attempts != 1 || j.LeaseOwner != "worker-1" {
			t.Fatalf("first claim = %+v, %v; want c1 of rec-a (oldest), attempt 1", j, ok)
		}
		j2, ok := claim("rec-b", "rec-b", time.Time{})
		if !ok || j2.CallID != "c2" || j2.Attempts != 2 {
			t.Fatalf("own claim = %+v, %v; want c2", j2, ok)
		}
		if _, ok := claim("worker-2", "", time.Time{}); ok {
			t.Fatal("claimed a job under a live lease")
		}
		if err := q.RenewEncodeLease(ctx, "tenant-b", "c1", "worker-1", c.Now().Add(lease)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another tenant renewed the lease: %v", err)
		}

		c.Advance(lease + time.Second) // worker-1 died; rec-b's lease ran out too
		j, ok = claim("worker-2", "", time.Time{})
		if !ok || j.CallID != "c1" || j.Attempts != 2 || j.LeaseOwner != "worker-2" {
			t.Fatalf("claim after expiry = %+v, %v; want c1, attempt 2", j, ok)
		}
		if err := q.RenewEncodeLease(ctx, "tenant-a", "c1", "worker-1", c.Now().Add(lease)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the dead holder renewed: %v", err)
		}
		if err := q.CompleteEncodeJob(ctx, "tenant-a", "c1", "worker-1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the dead holder completed: %v", err)
		}
		if err := q.CompleteEncodeJob(ctx, "tenant-b", "c1", "worker-2"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another tenant completed: %v", err)
		}
		if err := q.CompleteEncodeJob(ctx, "tenant-a", "c1", "worker-2"); err != nil {
			t.Fatal(err)
		}
		got, err := q.GetEncodeJob(ctx, "tenant-a", "c1")
		if err != nil || got.State != store.EncodeDone {
			t.Fatalf("job = %+v, %v; want done", got, err)
		}
		if _, err := q.GetEncodeJob(ctx, "tenant-b", "c1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another tenant read the job: %v", err)
		}
		// Done is never claimed again; c2's lapsed lease is.
		j, ok = claim("worker-3", "", time.Time{})
		if !ok || j.CallID != "c2" {
			t.Fatalf("claim = %+v, %v; want c2 (lease lapsed)", j, ok)
		}
		mine, err := q.EncodeJobsOf(ctx, "rec-a")
		if err != nil || len(mine) != 1 || mine[0].CallID != "c1" {
			t.Fatalf("rec-a's jobs = %+v, %v", mine, err)
		}
		if _, err := q.DeleteCall(ctx, "tenant-a", "c2"); err != nil {
			t.Fatal(err)
		}
		if _, err := q.GetEncodeJob(ctx, "tenant-a", "c2"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("job of a deleted call: %v", err)
		}
	})
}

// TestEncodeJobClaimRace: claimers at once each get a different job, and
// every job is claimed exactly once.
func TestEncodeJobClaimRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		db := storetest.Open(t, b, nil)
		ctx := context.Background()
		q := db.Q()
		now := db.Now()
		if err := q.InsertTenant(ctx, store.Tenant{ID: "t", Name: "t", Timezone: "UTC", Language: "en", RetentionDays: 90, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		const jobs = 12
		for i := range jobs {
			id := "call-" + string(rune('a'+i))
			if err := q.InsertCall(ctx, store.Call{ID: id, TenantID: "t", State: store.CallCompleted, StartedAt: now, CreatedAt: now, UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
			if err := q.OfferEncodeJob(ctx, store.EncodeJob{TenantID: "t", CallID: id, RecorderNode: "r"}); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					j, ok, err := q.ClaimEncodeJob(ctx, store.EncodeClaim{Owner: string(rune('A' + w)), Now: time.Now(), LeaseUntil: time.Now().Add(time.Hour)})
					if err != nil {
						t.Error(err)
						return
					}
					if !ok {
						return
					}
					mu.Lock()
					seen[j.CallID]++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != jobs {
			t.Fatalf("claimed %d distinct jobs, want %d", len(seen), jobs)
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("%s claimed %d times", id, n)
			}
		}
	})
}
