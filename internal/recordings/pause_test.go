package recordings_test

import (
	"context"
	"testing"
	"time"

	"callrec/internal/account"
	"callrec/internal/recordings"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// TestAutoResume runs the worker's auto-resume with a fake clock: a pause
// resumes once it outlasts the tenant's timeout (not before), an on-demand
// call's span from the start never resumes by itself, and the pause of a
// call that ended while paused is closed at the call's end.
func TestAutoResume(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clock, db, accounts, tn := newTenant(t, b, 0)
		q := db.Q()
		if err := q.SetAutoResumeSeconds(ctx, tn.ID, 60); err != nil {
			t.Fatal(err)
		}
		call := func(state string, durMS int64) store.Call {
			c := store.Call{ID: account.NewID(), TenantID: tn.ID, State: state, StartedAt: clock.Now(), DurationMS: durMS,
				Recorded: true, CreatedAt: clock.Now(), UpdatedAt: clock.Now()}
			if err := q.InsertCall(ctx, c); err != nil {
				t.Fatal(err)
			}
			return c
		}
		paused, onDemand, ended := call(store.CallActive, 0), call(store.CallActive, 0), call(store.CallCompleted, 9000)
		for _, p := range []struct {
			c  store.Call
			by string
		}{{paused, "Sam Supervisor"}, {onDemand, store.OnDemandPause}, {ended, "Sam Supervisor"}} {
			if err := q.InsertCallPause(ctx, tn.ID, p.c.ID, store.CallPause{ID: account.NewID(), StartMS: 0, PausedBy: p.by}); err != nil {
				t.Fatal(err)
			}
		}
		svc := &recordings.Service{DB: db, Accounts: accounts, Now: clock.Now}
		end := func(c store.Call) (*int64, string) {
			ps, err := q.CallPauses(ctx, tn.ID, c.ID)
			if err != nil || len(ps) != 1 {
				t.Fatalf("pauses of %s: %+v, %v", c.ID, ps, err)
			}
			return ps[0].EndMS, ps[0].ResumedBy
		}

		clock.Advance(59 * time.Second)
		if err := svc.AutoResume(ctx); err != nil {
			t.Fatal(err)
		}
		if e, _ := end(paused); e != nil {
			t.Errorf("resumed at %d ms, before the 60 s timeout", *e)
		}
		if e, by := end(ended); e == nil || *e != 9000 || by != "call ended" {
			t.Errorf("ended call's pause: end %v by %q, want 9000 by call ended", e, by)
		}

		clock.Advance(2 * time.Second)
		if err := svc.AutoResume(ctx); err != nil {
			t.Fatal(err)
		}
		if e, by := end(paused); e == nil || *e != 61_000 || by != "auto-resume" {
			t.Errorf("after 61 s: end %v by %q, want 61000 by auto-resume", e, by)
		}
		clock.Advance(time.Hour)
		if err := svc.AutoResume(ctx); err != nil {
			t.Fatal(err)
		}
		if e, _ := end(onDemand); e != nil {
			t.Errorf("on-demand span resumed by itself at %d ms", *e)
		}
	})
}
