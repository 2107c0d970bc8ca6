package ui_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"callrec/internal/account"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// TestOnDemandCallPage: a live call kept silent by an on-demand rule
// offers "Start recording" (not "Resume", and no talk of an auto-resume);
// starting it closes the span and the page offers Pause again.
func TestOnDemandCallPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		ctx := context.Background()
		q := e.db.Q()
		c := store.Call{ID: account.NewID(), TenantID: e.tenant.ID, State: store.CallActive, Direction: "inbound",
			StartedAt: e.clock.Now(), Recorded: true, DecisionReason: "tenant default: on demand, silent until started",
			Caller: "+4930555000", Callee: "2003", CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now()}
		if err := q.InsertCall(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := q.InsertCallPause(ctx, e.tenant.ID, c.ID, store.CallPause{ID: account.NewID(), PausedBy: store.OnDemandPause}); err != nil {
			t.Fatal(err)
		}
		br := e.signedInAdmin()
		p := br.get("/recordings/" + c.ID)
		mustContain(t, p, "recorded on demand", ">Start recording</button>")
		if strings.Contains(p.body, "Resume recording") || strings.Contains(p.body, "resumes by itself") {
			t.Errorf("on-demand call page talks of resuming:\n%s", p.body)
		}
		if p := br.post("/recordings/"+c.ID, "/recordings/"+c.ID+"/resume", url.Values{}); p.status >= 400 {
			t.Fatalf("start recording: %d\n%s", p.status, p.body)
		}
		ps, err := q.CallPauses(ctx, e.tenant.ID, c.ID)
		if err != nil || len(ps) != 1 || ps[0].EndMS == nil {
			t.Fatalf("after Start recording: %+v %v", ps, err)
		}
		mustContain(t, br.get("/recordings/"+c.ID), ">Pause recording</button>")
	})
}
