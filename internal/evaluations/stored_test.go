package evaluations_test

import (
	"context"
	"testing"
	"time"

	"callrec/internal/evaluations"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// save stores a transcript of the call the way the speech worker does.
func (f *fixture) save(tenantID, callID, license string, lines []store.TranscriptLine) {
	f.t.Helper()
	ctx := context.Background()
	q := f.db.Q()
	if err := q.RequeueTranscript(ctx, tenantID, callID, license); err != nil {
		f.t.Fatal(err)
	}
	if _, ok, err := q.ClaimTranscriptJob(ctx, "w", f.clock.Now().Add(time.Hour), f.clock.Now().Add(2*time.Hour)); err != nil || !ok {
		f.t.Fatalf("claim: %v %v", ok, err)
	}
	if err := q.SaveTranscript(ctx, "w", store.Transcript{CallID: callID, TenantID: tenantID, Engine: "test", LicenseType: license,
		Body: "x", CreatedAt: f.clock.Now()}, lines); err != nil {
		f.t.Fatal(err)
	}
}

func TestStoredTranscriptsAnswerOnlyAdvancedOnes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b)
		src := evaluations.StoredTranscripts{DB: f.db}
		megan, alex := f.who["Megan A"], f.who["Alex A"]
		lines := []store.TranscriptLine{{Channel: "agent", StartMS: 500, EndMS: 2000, Text: "thank you for calling contoso", Words: "[]"},
			{Channel: "other", StartMS: 2500, EndMS: 4000, Text: "hello", Words: "[]"}}
		f.save(megan.TenantID, f.calls["Megan A"], "advanced", lines)
		f.save(alex.TenantID, f.calls["Alex A"], "basic", lines)
		tr, ok, err := src.Transcript(ctx, megan.TenantID, f.calls["Megan A"])
		if err != nil || !ok || len(tr.Utterances) != 2 || tr.Utterances[0].Channel != evaluations.ChannelAgent {
			t.Fatalf("advanced transcript: %+v %v %v", tr, ok, err)
		}
		if res := evaluations.AutoAnswer("Thank you for calling!", tr); !res.Said || res.AtMS != 500 {
			t.Errorf("AutoAnswer on the stored transcript = %+v", res)
		}
		if _, ok, err := src.Transcript(ctx, alex.TenantID, f.calls["Alex A"]); ok || err != nil {
			t.Errorf("a basic license's transcript answered automatically: %v %v", ok, err)
		}
		// Another tenant's id finds nothing, and a call without one neither.
		if _, ok, err := src.Transcript(ctx, f.who["Admin B"].TenantID, f.calls["Megan A"]); ok || err != nil {
			t.Errorf("tenant B read A's transcript: %v %v", ok, err)
		}
		if _, ok, err := src.Transcript(ctx, megan.TenantID, f.calls["Nestor A"]); ok || err != nil {
			t.Errorf("no transcript: %v %v", ok, err)
		}
	})
}
