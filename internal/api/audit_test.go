package api_test

import (
	"context"
	"net/http"
	"testing"

	"callrec/internal/account"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// TestChangesWithoutAuditBefore: resolving an alert and the provider's
// switch into a tenant are audited (they wrote nothing before).
func TestChangesWithoutAuditBefore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, unlimited)
		ctx := context.Background()
		audited := func(tenantID, action string) []store.AuditEntry {
			t.Helper()
			entries, _, err := e.db.Q().ListAudit(ctx, tenantID, store.AuditFilter{Action: action, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			return entries
		}
		alert := store.Alert{ID: account.NewID(), TenantID: e.tenantA.ID, Kind: "license_exhausted", Message: "no Call Recording license left", CreatedAt: e.clock.Now()}
		if err := e.db.Q().InsertAlert(ctx, alert); err != nil {
			t.Fatal(err)
		}
		admin := e.tokenClient("A:admin")
		admin.want(http.StatusNoContent, "POST", "/api/v1/alerts/"+alert.ID+"/resolve", nil)
		if got := audited(e.tenantA.ID, "alert.resolve"); len(got) != 1 || got[0].ObjectID != alert.ID || got[0].ActorLogin != e.users["A:admin"].Login {
			t.Fatalf("alert resolution audit: %+v", got)
		}
		admin.want(http.StatusNotFound, "POST", "/api/v1/alerts/"+alert.ID+"/resolve", nil)
		if got := audited(e.tenantA.ID, "alert.resolve"); len(got) != 1 {
			t.Fatalf("a refused resolution was audited: %+v", got)
		}

		prov, r := e.sessionClient("provider", testPassword, "")
		acceptTermsIfAsked(t, prov, r)
		prov.want(http.StatusNoContent, "PUT", "/api/v1/me/tenant", map[string]any{"tenant_id": e.tenantB.ID})
		prov.want(http.StatusNotFound, "PUT", "/api/v1/me/tenant", map[string]any{"tenant_id": "no-such-tenant"})
		got := audited("", "session.switch_tenant")
		if len(got) != 1 || got[0].ActorLogin != "provider" {
			t.Fatalf("tenant switch audit: %+v", got)
		}
	})
}

// TestExportsAudited: each CSV export (users, audit log, calls) leaves an
// entry naming who took it and with which filter.
func TestExportsAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, unlimited)
		admin := e.tokenClient("A:admin")
		for _, c := range []struct{ path, action string }{
			{"/api/v1/users/export?search=a-", "users.export"},
			{"/api/v1/audit/export", "audit.export"},
			{"/api/v1/calls/export", "recordings.export"},
		} {
			admin.want(http.StatusOK, "GET", c.path, nil)
			es, _, err := e.db.Q().ListAudit(context.Background(), e.tenantA.ID, store.AuditFilter{Action: c.action, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			if len(es) != 1 || es[0].ActorLogin != e.users["A:admin"].Login {
				t.Errorf("%s: audit %+v", c.path, es)
			}
		}
	})
}
