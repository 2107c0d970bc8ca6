package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"callrec/internal/clock"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// TestTranscriptSearch: the Recordings text filter finds a call by the
// words of its transcript, through the trigram index on both engines and
// within the tenant only, and follows the transcript as it is replaced;
// a later note keeps the transcript in the call's search document.
func TestTranscriptSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		now := clock.Start()
		db := storetest.Open(t, b, func() time.Time { return now })
		q := db.Q()
		for _, tn := range []string{"tenant-a", "tenant-b"} {
			if err := q.InsertTenant(ctx, store.Tenant{ID: tn, Name: tn, Timezone: "UTC", Language: "en", RetentionDays: 90, CreatedAt: now, UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{tn + "-1", tn + "-2"} {
				if err := q.InsertCall(ctx, store.Call{ID: id, TenantID: tn, State: store.CallCompleted, Direction: "inbound", StartedAt: now,
					Caller: "+15550001", Callee: "2001", CreatedAt: now, UpdatedAt: now}); err != nil {
					t.Fatal(err)
				}
			}
		}
		save := func(tenant, call, body string) {
			t.Helper()
			if err := q.RequeueTranscript(ctx, tenant, call, "basic"); err != nil {
				t.Fatal(err)
			}
			if _, ok, err := q.ClaimTranscriptJob(ctx, "n", now, now.Add(time.Minute)); err != nil || !ok {
				t.Fatalf("claim: %v %v", ok, err)
			}
			if err := q.SaveTranscript(ctx, "n", store.Transcript{CallID: call, TenantID: tenant, Engine: "e", Body: body, CreatedAt: now},
				[]store.TranscriptLine{{Channel: "agent", Text: body, Words: "[]"}}); err != nil {
				t.Fatal(err)
			}
		}
		save("tenant-a", "tenant-a-1", "I would like a Refund for my broadband invoice")
		save("tenant-b", "tenant-b-1", "refund of the broadband invoice please")
		find := func(text string) []string {
			got := searchAll(t, q, "tenant-a", store.RecordingFilter{Text: text, Limit: 10})
			slices.Sort(got)
			return got
		}
		for text, want := range map[string][]string{
			"broadband invoice": {"tenant-a-1"}, "REFUND": {"tenant-a-1"}, "fu": {"tenant-a-1"}, "cancel": {}, "2001": {"tenant-a-1", "tenant-a-2"},
		} {
			if got := find(text); !slices.Equal(got, want) {
				t.Errorf("%q: got %v, want %v", text, got, want)
			}
		}
		if err := q.InsertCallNote(ctx, "tenant-a", store.CallNote{ID: "n1", CallID: "tenant-a-1", Body: "escalated", CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		if got := find("broadband"); !slices.Equal(got, []string{"tenant-a-1"}) {
			t.Errorf("after a note: %v", got)
		}
		save("tenant-a", "tenant-a-1", "wrong number sorry")
		if got := find("broadband"); len(got) != 0 {
			t.Errorf("replaced transcript still found: %v", got)
		}
		if got := find("wrong number"); !slices.Equal(got, []string{"tenant-a-1"}) {
			t.Errorf("new transcript: %v", got)
		}
	})
}
