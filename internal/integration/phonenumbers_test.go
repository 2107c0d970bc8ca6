package integration_test

import (
	"context"
	"testing"

	"callrec/internal/account"
	"callrec/internal/integration"
	"callrec/internal/msemu"
	"callrec/internal/store/storetest"
)

// A recorded Teams user's phone numbers become their extensions (so an
// SBC's SIPREC fork of their PSTN calls is theirs), follow Microsoft's
// changes, and never take a number an admin gave someone else.
func TestTeamsPhoneNumbersBecomeExtensions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		if v := w.connect(integration.DefaultConfig()); v.Status != integration.StatusConnected {
			t.Fatalf("status %s", v.Status)
		}
		ctx := context.Background()
		graph, _ := w.delegated()
		megan, err := graph.GetUser(ctx, "MeganB@"+msemu.ContosoDomain)
		if err != nil {
			t.Fatal(err)
		}
		name, role := "Megan Bowen", "user"
		exts := []string{megan.ID}
		u, err := w.accounts.CreateUser(ctx, account.System, w.tenantID, account.UserInput{Name: &name, Role: &role, Extensions: &exts})
		if err != nil {
			t.Fatal(err)
		}
		other, ext := "Reception", []string{"+14255550199"}
		if _, err := w.accounts.CreateUser(ctx, account.System, w.tenantID, account.UserInput{Name: &other, Role: &role, Extensions: &ext}); err != nil {
			t.Fatal(err)
		}
		w.emu.AssignTeamsNumber(contosoT, megan.ID, "tel:+1 (425) 555-0100")
		w.emu.AssignTeamsNumber(contosoT, megan.ID, "+14255550199") // the receptionist's, typed by an admin
		res, err := w.svc.SyncPhoneNumbers(ctx, w.tenantID)
		if err != nil {
			t.Fatal(err)
		}
		if res.Added != 1 || len(res.Skipped) != 1 || res.Users != 1 {
			t.Fatalf("first sync: %+v", res)
		}
		q := w.db.Q()
		if owner, err := q.ExtensionOwner(ctx, w.tenantID, "+14255550100"); err != nil || owner != u.ID {
			t.Fatalf("+14255550100 belongs to %q (%v), want Megan", owner, err)
		}
		if res, _ := w.svc.SyncPhoneNumbers(ctx, w.tenantID); res.Added+res.Removed != 0 {
			t.Fatalf("a second sync changed things: %+v", res)
		}
		w.emu.AssignTeamsNumber(contosoT, megan.ID, "")
		if res, err := w.svc.SyncPhoneNumbers(ctx, w.tenantID); err != nil || res.Removed != 1 {
			t.Fatalf("after unassigning: %+v %v", res, err)
		}
		if _, err := q.ExtensionOwner(ctx, w.tenantID, "+14255550100"); err == nil {
			t.Fatal("the unassigned number is still Megan's extension")
		}
		if owner, err := q.ExtensionOwner(ctx, w.tenantID, megan.ID); err != nil || owner != u.ID {
			t.Fatalf("Megan's Teams id extension: %q %v", owner, err)
		}
	})
}
