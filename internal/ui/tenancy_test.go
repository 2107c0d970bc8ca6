package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"callrec/internal/account"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// signedInProvider signs a provider admin in (provider view).
func (e *env) signedInProvider() *browser {
	e.t.Helper()
	prov := e.createUser("", "provider@telecom.example", "Pat Provider", "provider_admin", "Provider#2026")
	e.acceptTerms(prov)
	br := e.browser()
	if p := br.signIn("provider@telecom.example", "Provider#2026"); p.location != "/" {
		e.t.Fatalf("provider sign-in went to %q", p.location)
	}
	return br
}

// addSource registers a source for a tenant through the account service.
func (e *env) addSource(tenantID, name, address, domain string) store.SIPSource {
	e.t.Helper()
	s, err := e.accounts.CreateSIPSource(context.Background(), account.System, tenantID,
		account.SIPSourceInput{Name: &name, Address: &address, Domain: &domain})
	if err != nil {
		e.t.Fatalf("source %s: %v", name, err)
	}
	return s
}

// TestSIPSourceOverlapForm: the portal form shows an overlap with another
// customer's source at the address field, keeps what was typed, names
// nothing of the other customer and stores nothing; with different
// domains on both sides the same address is accepted.
func TestSIPSourceOverlapForm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		ctx := context.Background()
		other := e.createTenant("Fabrikam", "3100000001", false)
		e.addSource(other.ID, "Fabrikam Edge", "192.0.2.0/24", "fabrikam.example")
		br := e.signedInAdmin()

		for _, form := range []url.Values{
			{"name": {"Frankfurt SBC"}, "address": {"192.0.2.10"}},
			{"name": {"Frankfurt SBC"}, "address": {"::ffff:192.0.2.10"}, "domain": {"Fabrikam.Example"}},
		} {
			p := br.post("/admin/sip-sources", "/admin/sip-sources", form)
			if p.status != http.StatusBadRequest {
				t.Fatalf("%v: %d", form, p.status)
			}
			mustContain(t, p, `id="err-address"`, "overlaps a source registered to another customer", `value="`+form.Get("address")+`"`,
				`aria-describedby="err-address"`)
			for _, secret := range []string{"Fabrikam Edge", "192.0.2.0/24", "Fabrikam</"} {
				if strings.Contains(p.body, secret) {
					t.Errorf("the refusal shows %q", secret)
				}
			}
		}
		if got, _ := e.db.Q().ListSIPSources(ctx, e.tenant.ID); len(got) != 0 {
			t.Fatalf("a refused form stored %v", got)
		}
		p := br.post("/admin/sip-sources", "/admin/sip-sources", url.Values{"name": {"Frankfurt SBC"}, "address": {"192.0.2.10"}, "domain": {"contoso.example"}})
		if p.location != "/admin/sip-sources" {
			t.Fatalf("different domains: %d\n%s", p.status, p.body)
		}
		srcs, _ := e.db.Q().ListSIPSources(ctx, e.tenant.ID)
		if len(srcs) != 1 {
			t.Fatalf("sources %v", srcs)
		}
		edit := "/admin/sip-sources/" + srcs[0].ID
		p = br.post(edit, edit, url.Values{"name": {"Frankfurt SBC"}, "address": {"192.0.2.10"}, "domain": {""}})
		if p.status != http.StatusBadRequest {
			t.Fatalf("edit into overlap: %d", p.status)
		}
		mustContain(t, p, `id="err-address"`, "another customer", "Edit Frankfurt SBC")
		if s, _ := e.db.Q().GetSIPSource(ctx, e.tenant.ID, srcs[0].ID); s.Domain != "contoso.example" {
			t.Errorf("a refused edit changed the source: %+v", s)
		}
	})
}

// TestProviderSourcesPage: the provider's list shows every tenant's
// sources with overlaps flagged (after an empty state that says what to
// do), a tenant admin cannot open it, and a provider alert is on the
// provider's home page until dismissed.
func TestProviderSourcesPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		ctx := context.Background()
		prov := e.signedInProvider()
		mustContain(t, prov.get("/admin/provider/sip-sources"), "No tenant has registered a SIPREC source yet", `href="/admin/tenants"`,
			`href="/admin/provider/sip-sources" aria-current="page"`)

		other := e.createTenant("Fabrikam", "3100000001", false)
		e.addSource(e.tenant.ID, "Contoso SBC", "192.0.2.0/24", "")
		e.addSource(other.ID, "Fabrikam SBC", "198.51.100.7", "")
		legacy := store.SIPSource{ID: account.NewID(), TenantID: other.ID, Name: "Fabrikam legacy", Address: "192.0.2.9",
			CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now()}
		if err := e.db.Q().InsertSIPSource(ctx, legacy); err != nil {
			t.Fatal(err)
		}
		p := prov.get("/admin/provider/sip-sources")
		mustContain(t, p, "3 sources of 2 tenants", "2 sources overlap another customer", "Contoso SBC", "Fabrikam SBC", "198.51.100.7",
			"Overlaps Fabrikam · Fabrikam legacy", "Overlaps Contoso · Contoso SBC")
		if strings.Index(p.body, "Contoso SBC</th>") > strings.Index(p.body, "Fabrikam SBC</th>") {
			t.Error("sources are not listed by tenant")
		}

		if p := e.signedInAdmin().get("/admin/provider/sip-sources"); p.status != http.StatusForbidden {
			t.Errorf("tenant admin opens the provider's list: %d", p.status)
		}

		err := e.db.InTx(ctx, func(tx store.Q) error {
			_, err := tx.RaiseProviderAlert(ctx, store.ProviderAlert{ID: "al1", Kind: "sip_source_ambiguous",
				Message:  "A SIPREC call from 192.0.2.9 matched sources of different customers equally well and was refused.",
				DedupKey: "k", CreatedAt: e.db.Now()}, e.db.Now().Add(-time.Hour))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		home := prov.get("/")
		mustContain(t, home, "matched sources of different customers", `action="/provider/alerts/al1/dismiss"`)
		if p := prov.post("/", "/provider/alerts/al1/dismiss", url.Values{}); p.location != "/" {
			t.Fatalf("dismiss: %d", p.status)
		}
		if strings.Contains(prov.get("/").body, "matched sources of different customers") {
			t.Error("the dismissed alert is still shown")
		}
		mustContain(t, prov.get("/admin/audit"), "provider_alert.resolve")
		if p := prov.post("/", "/provider/alerts/al1/dismiss", url.Values{}); p.status != http.StatusNotFound {
			t.Errorf("dismissing it again: %d, want 404", p.status)
		}
		if strings.Contains(e.signedInAdmin().get("/").body, "different customers") {
			t.Error("a tenant admin sees the provider's alert")
		}
	})
}

// TestTenantFormMaxCalls: the provider sets a tenant's concurrent calls in
// the tenant form (a bad value is shown at the field); the tenant admin
// sees the value on Tenant settings and cannot change it there.
func TestTenantFormMaxCalls(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		ctx := context.Background()
		prov := e.signedInProvider()
		path := "/admin/tenants/" + e.tenant.ID
		mustContain(t, prov.get(path), "Concurrent calls", `name="max_calls"`, `placeholder="No limit"`)
		form := url.Values{"name": {"Contoso"}, "account_number": {"3100008477"}, "timezone": {"UTC"}, "language": {"en"}, "retention_days": {"90"},
			"default_record": {"always"}, "max_calls": {"lots"}}
		for _, lt := range store.LicenseTypes() {
			form.Set("pool_"+lt, "10")
		}
		p := prov.post(path, path, form)
		mustContain(t, p, `id="err-max_calls"`, `value="lots"`)
		form.Set("max_calls", "3")
		if p := prov.post(path, path, form); p.location != "/admin/tenants" {
			t.Fatalf("save: %d\n%s", p.status, p.body)
		}
		if tn, _ := e.db.Q().GetTenant(ctx, e.tenant.ID); tn.MaxCalls != 3 {
			t.Fatalf("max_calls %d, want 3", tn.MaxCalls)
		}

		admin := e.signedInAdmin()
		mustContain(t, admin.get("/admin/settings"), "3 per recorder", "set by your service provider")
		settings := url.Values{"name": {"Contoso"}, "timezone": {"UTC"}, "language": {"en"}, "default_record": {"always"}, "max_calls": {"0"}}
		if p := admin.post("/admin/settings", "/admin/settings", settings); p.status >= 400 {
			t.Fatalf("settings: %d", p.status)
		}
		if tn, _ := e.db.Q().GetTenant(ctx, e.tenant.ID); tn.MaxCalls != 3 {
			t.Errorf("a tenant admin changed max_calls to %d", tn.MaxCalls)
		}
		form.Set("max_calls", "")
		if p := prov.post(path, path, form); p.location != "/admin/tenants" {
			t.Fatalf("clear: %d", p.status)
		}
		if tn, _ := e.db.Q().GetTenant(ctx, e.tenant.ID); tn.MaxCalls != 0 {
			t.Errorf("empty max_calls left %d, want 0 (no limit)", tn.MaxCalls)
		}
	})
}
