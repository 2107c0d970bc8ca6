package recorder_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"callrec/internal/account"
	"callrec/internal/caller"
	"callrec/internal/recordings"
	"callrec/internal/roles"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// TestUnassignedCalls: a call whose parties match no user is recorded into
// the Unassigned bucket (playable, listed for admins, not for a
// supervisor), its addresses appear under Unknown extensions; once a user
// is created with the extension their next call is theirs and the past
// call moves on request. A source set to keep metadata only keeps such a
// call without audio.
func TestUnassignedCalls(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, 0)
		ctx := context.Background()
		accounts := account.New(e.db, nil)
		svc := &recordings.Service{DB: e.db, Accounts: accounts, Now: e.db.Now}
		admin, err := e.db.Q().GetUserByLogin(ctx, "boss")
		if err != nil {
			t.Fatal(err)
		}
		adminC := &caller.Caller{User: admin, TenantID: e.tenant.ID}
		sup := e.mustUser(accounts, "sup", roles.Supervisor, nil, nil, "never")
		supC := &caller.Caller{User: sup, TenantID: e.tenant.ID}

		evs, stop := e.bus.Subscribe(e.tenant.ID)
		defer stop()
		call := func(agent string) store.Call {
			t.Helper()
			c, flows := e.dialTones(ctx, agent)
			time.Sleep(700 * time.Millisecond)
			e.stopTones(flows)
			if err := c.Bye(ctx); err != nil {
				t.Fatal(err)
			}
			var row store.Call
			for _, r := range e.calls() {
				if r.SIPCallID == c.CallID() {
					row = r
				}
			}
			waitEvent(t, evs, "call.ended", row.ID, 10*time.Second)
			got, err := e.db.Q().GetCall(ctx, e.tenant.ID, row.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}

		first := call("sip:3999@pbx.example")
		if !first.Recorded || first.RecordedUserID != "" {
			t.Fatalf("unmatched call: recorded=%v user=%q (%s)", first.Recorded, first.RecordedUserID, first.DecisionReason)
		}
		if res, _ := e.getAudio(first.ID, ""); res.StatusCode != 200 {
			t.Errorf("the Unassigned recording does not play: %s", res.Status)
		}
		list, _, err := svc.List(ctx, adminC, store.RecordingFilter{Unassigned: true, Limit: 10})
		if err != nil || len(list) != 1 || list[0].ID != first.ID {
			t.Fatalf("admin's Unassigned list: %v %d", err, len(list))
		}
		if list, _, err := svc.List(ctx, supC, store.RecordingFilter{Limit: 10}); err != nil || len(list) != 0 {
			t.Errorf("a supervisor sees %d Unassigned calls (%v)", len(list), err)
		}
		unknown, err := svc.UnknownExtensions(ctx, adminC)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(unknown, func(u recordings.UnknownExtension) bool { return u.AOR == "sip:3999@pbx.example" })
		if i < 0 || unknown[i].Extension != "3999" || unknown[i].Calls != 1 || unknown[i].UserID != "" {
			t.Fatalf("unknown extensions: %+v", unknown)
		}
		if _, err := svc.UnknownExtensions(ctx, supC); err == nil {
			t.Error("a supervisor read the unknown-extensions report")
		}
		if _, _, err := svc.AssignPast(ctx, adminC, "sip:3999@pbx.example"); err != recordings.ErrNoOwner {
			t.Errorf("assigning to nobody: %v", err)
		}

		newbie := e.mustUser(accounts, "newbie", roles.User, []string{"3999"}, []string{"call_recording"}, "always")
		second := call("sip:3999@pbx.example")
		if second.RecordedUserID != newbie.ID {
			t.Errorf("the new user's next call went to %q", second.RecordedUserID)
		}
		if past, _ := e.db.Q().GetCall(ctx, e.tenant.ID, first.ID); past.RecordedUserID != "" {
			t.Error("the past call moved before it was asked to")
		}
		n, owner, err := svc.AssignPast(ctx, adminC, "sip:3999@pbx.example")
		if err != nil || n != 1 || owner.ID != newbie.ID {
			t.Fatalf("assign past: %d %v %v", n, owner.ID, err)
		}
		past, _ := e.db.Q().GetCall(ctx, e.tenant.ID, first.ID)
		if past.RecordedUserID != newbie.ID {
			t.Errorf("the past call belongs to %q", past.RecordedUserID)
		}
		if list, _, _ := svc.List(ctx, adminC, store.RecordingFilter{Unassigned: true, Limit: 10}); len(list) != 0 {
			t.Errorf("still %d Unassigned", len(list))
		}

		src, err := e.db.Q().ListSIPSources(ctx, e.tenant.ID)
		if err != nil {
			t.Fatal(err)
		}
		meta := store.UnmatchedMetadata
		if _, err := accounts.UpdateSIPSource(ctx, account.System, e.tenant.ID, src[0].ID, account.SIPSourceInput{Unmatched: &meta}); err != nil {
			t.Fatal(err)
		}
		e.rec.InvalidateSources()
		kept := call("sip:4888@pbx.example")
		if kept.Recorded || kept.RecordedUserID != "" {
			t.Errorf("with metadata only, the unmatched call was recorded=%v", kept.Recorded)
		}
		bad := "later"
		if _, err := accounts.UpdateSIPSource(ctx, account.System, e.tenant.ID, src[0].ID, account.SIPSourceInput{Unmatched: &bad}); err == nil {
			t.Error("an unknown rule was taken")
		}
	})
}
