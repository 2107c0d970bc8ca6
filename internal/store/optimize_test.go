package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"callrec/internal/clock"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// TestOptimizeGathersPlannerStats: a SQLite database that grew from empty
// has no planner statistics until Optimize, which the worker runs at start
// and daily; without them the text search may walk the date index.
func TestOptimizeGathersPlannerStats(t *testing.T) {
	ctx := context.Background()
	now := clock.Start()
	db := storetest.Open(t, storetest.Backends()[0], func() time.Time { return now })
	q := db.Q()
	if err := q.InsertTenant(ctx, store.Tenant{ID: "t", Name: "t", Timezone: "UTC", Language: "en", RetentionDays: 90, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	var calls []store.Call
	for i := range 200 {
		calls = append(calls, store.Call{ID: fmt.Sprintf("c%03d", i), TenantID: "t", State: store.CallCompleted,
			StartedAt: now.Add(-time.Duration(i) * time.Minute), Caller: "+1555", Callee: "2001", CreatedAt: now, UpdatedAt: now})
	}
	if err := q.BulkInsertCalls(ctx, calls); err != nil {
		t.Fatal(err)
	}
	if n, err := db.PlannerStatsForTest(ctx, "calls"); err == nil && n > 0 {
		t.Fatalf("statistics before Optimize: %d rows", n)
	}
	if err := db.Optimize(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := db.PlannerStatsForTest(ctx, "calls")
	if err != nil || n == 0 {
		t.Fatalf("after Optimize: %d statistics rows for calls, err %v", n, err)
	}
}
