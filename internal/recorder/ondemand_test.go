package recorder_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"callrec/internal/account"
	"callrec/internal/policy"
	"callrec/internal/roles"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// TestOnDemand: a user whose rule is the tenant default, with the tenant's
// default set to on demand. The call is recorded but silent from its first
// packet, marked "on demand: not started", until the user starts it
// through the API; only what follows is in the recording, and the worker's
// auto-resume never starts it by itself.
func TestOnDemand(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, 0)
		ctx := context.Background()
		accounts := account.New(e.db, nil)
		rule := policy.RuleOnDemand
		if _, err := accounts.UpdateTenant(ctx, account.System, e.tenant.ID, account.TenantInput{DefaultRecord: &rule}, false); err != nil {
			t.Fatal(err)
		}
		e.mustUser(accounts, "ondemand", roles.User, []string{"2003"}, []string{"call_recording"}, "default")
		evs, stop := e.bus.Subscribe(e.tenant.ID)
		defer stop()

		call, flows := e.dialTones(ctx, "sip:2003@pbx.example")
		c := e.calls()[0]
		if !c.Recorded || !strings.Contains(c.DecisionReason, "tenant default: on demand") {
			t.Fatalf("call row: recorded %v, reason %q", c.Recorded, c.DecisionReason)
		}
		ps, err := e.db.Q().CallPauses(ctx, e.tenant.ID, c.ID)
		if err != nil || len(ps) != 1 || ps[0].StartMS != 0 || ps[0].EndMS != nil || ps[0].PausedBy != store.OnDemandPause {
			t.Fatalf("pauses at the start = %+v, %v", ps, err)
		}
		time.Sleep(1500 * time.Millisecond) // real time: audio flows, unrecorded
		open, err := e.db.Q().OpenPauses(ctx)
		if err != nil || len(open) != 1 || open[0].PausedBy != store.OnDemandPause {
			t.Fatalf("open pauses = %+v, %v", open, err)
		}
		e.post(c.ID, "resume")
		time.Sleep(1500 * time.Millisecond)
		e.stopTones(flows)
		if err := call.Bye(ctx); err != nil {
			t.Fatal(err)
		}
		waitEvent(t, evs, "call.stored", c.ID, 30*time.Second)
		ps, err = e.db.Q().CallPauses(ctx, e.tenant.ID, c.ID)
		if err != nil || len(ps) != 1 || ps[0].EndMS == nil || *ps[0].EndMS < 1000 {
			t.Fatalf("pauses after the start = %+v, %v", ps, err)
		}
		e.checkSilentSpan(c.ID, 0, time.Duration(*ps[0].EndMS)*time.Millisecond)
	})
}
