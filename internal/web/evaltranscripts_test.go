package web

import (
	"context"
	"testing"
	"time"

	"callrec/internal/evaluations"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// TestEvalTranscripts: automated QA reads the stored transcript of the
// call's tenant, and none for another tenant's or an untranscribed call.
func TestEvalTranscripts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		now := time.Now().UTC()
		db := storetest.Open(t, b, func() time.Time { return now })
		q := db.Q()
		for _, tn := range []string{"ta", "tb"} {
			if err := q.InsertTenant(ctx, store.Tenant{ID: tn, Name: tn, Timezone: "UTC", Language: "en", RetentionDays: 90, CreatedAt: now, UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
			if err := q.InsertCall(ctx, store.Call{ID: tn + "-c", TenantID: tn, State: store.CallCompleted, Direction: "inbound", StartedAt: now, CreatedAt: now, UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
		if err := q.RequeueTranscript(ctx, "ta", "ta-c", "basic"); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := q.ClaimTranscriptJob(ctx, "n", now, now.Add(time.Minute)); !ok || err != nil {
			t.Fatal(ok, err)
		}
		if err := q.SaveTranscript(ctx, "n", store.Transcript{CallID: "ta-c", TenantID: "ta", Engine: "e", Body: "thank you for calling", CreatedAt: now},
			[]store.TranscriptLine{{Channel: "agent", StartMS: 500, EndMS: 1500, Text: "thank you for calling", Words: "[]"}}); err != nil {
			t.Fatal(err)
		}
		src := evalTranscripts{db}
		tr, ok, err := src.Transcript(ctx, "ta", "ta-c")
		if err != nil || !ok || len(tr.Utterances) != 1 || !evaluations.AutoAnswer("thank you for calling", tr).Said {
			t.Fatalf("transcript %+v %v %v", tr, ok, err)
		}
		for _, k := range [][2]string{{"tb", "ta-c"}, {"tb", "tb-c"}} {
			if _, ok, err := src.Transcript(ctx, k[0], k[1]); ok || err != nil {
				t.Errorf("%v: ok %v err %v", k, ok, err)
			}
		}
	})
}
