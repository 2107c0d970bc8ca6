package store_test

import (
	"context"
	"testing"
	"time"

	"callrec/internal/clock"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// TestCallMedia ends one call with what its RTP edge saw and another
// without (a crash), and reads both back through every query that returns
// calls; another tenant cannot end the call.
func TestCallMedia(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		now := clock.Start()
		db := storetest.Open(t, b, func() time.Time { return now })
		q := db.Q()
		for _, id := range []string{"tenant-a", "tenant-b"} {
			if err := q.InsertTenant(ctx, store.Tenant{ID: id, Name: id, Timezone: "UTC", Language: "en", RetentionDays: 90, CreatedAt: now, UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range []string{"seen", "crashed"} {
			c := store.Call{ID: id, TenantID: "tenant-a", State: store.CallActive, StartedAt: now, CreatedAt: now, UpdatedAt: now}
			if err := q.InsertCall(ctx, c); err != nil {
				t.Fatal(err)
			}
			if got, _ := q.GetCall(ctx, "tenant-a", id); got.Media != nil {
				t.Errorf("active call has media %+v", got.Media)
			}
		}
		want := store.CallMedia{Packets: 1500, Lost: 2, RejectedPackets: 37, SRTP: true}
		if err := q.EndCall(ctx, "tenant-b", "seen", store.CallCompleted, now, 30000, &want); err == nil {
			t.Error("another tenant ended the call")
		}
		if err := q.EndCall(ctx, "tenant-a", "seen", store.CallCompleted, now, 30000, &want); err != nil {
			t.Fatal(err)
		}
		if err := q.EndCall(ctx, "tenant-a", "crashed", store.CallInterrupted, now, 1000, nil); err != nil {
			t.Fatal(err)
		}
		got, err := q.GetCall(ctx, "tenant-a", "seen")
		if err != nil || got.Media == nil || *got.Media != want {
			t.Fatalf("GetCall media = %+v, %v; want %+v", got.Media, err, want)
		}
		list, _, err := q.ListCalls(ctx, "tenant-a", store.CallFilter{})
		if err != nil {
			t.Fatal(err)
		}
		recs, _, err := q.SearchRecordings(ctx, "tenant-a", store.RecordingFilter{})
		if err != nil {
			t.Fatal(err)
		}
		rec, err := q.GetRecording(ctx, "tenant-a", "seen")
		if err != nil {
			t.Fatal(err)
		}
		media := map[string]*store.CallMedia{"recording": rec.Media}
		for _, c := range list {
			media["list "+c.ID] = c.Media
		}
		for _, r := range recs {
			media["search "+r.ID] = r.Media
		}
		for where, m := range media {
			switch {
			case where == "list crashed" || where == "search crashed":
				if m != nil {
					t.Errorf("%s: media %+v, want none", where, m)
				}
			case m == nil || *m != want:
				t.Errorf("%s: media %+v, want %+v", where, m, want)
			}
		}
		if len(media) != 5 {
			t.Errorf("calls seen: %v", media)
		}
	})
}
