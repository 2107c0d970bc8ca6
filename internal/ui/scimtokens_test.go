package ui_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"callrec/internal/store/storetest"
)

// TestSCIMTokensPage: the provider admin issues a tenant's SCIM token,
// sees it once, and revokes it; a tenant admin cannot open the page.
func TestSCIMTokensPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tn := e.createTenant("Acme", "3100000001", false)
		prov := e.signedInProvider()
		path := "/admin/tenants/" + tn.ID + "/scim-tokens"
		mustContain(t, prov.get("/admin/tenants/"+tn.ID), `href="`+path+`"`)
		mustContain(t, prov.get(path), "No SCIM tokens.", "/scim/v2")
		p := prov.post(path, path, url.Values{"name": {"Cloud Services Portal"}})
		if p.status != http.StatusCreated {
			t.Fatalf("issue: %d", p.status)
		}
		m := regexp.MustCompile(`id="new-token" class="mono" type="text" readonly value="(scim_[^"]+)"`).FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no raw token shown:\n%s", p.body)
		}
		list := prov.get(path)
		mustContain(t, list, "Cloud Services Portal", "provider@telecom.example")
		if strings.Contains(list.body, m[1]) {
			t.Error("the raw token is shown again")
		}
		if p := prov.post(path, path, url.Values{"name": {""}}); p.status != http.StatusBadRequest {
			t.Errorf("empty name: %d", p.status)
		}
		rev := regexp.MustCompile(`action="(` + regexp.QuoteMeta(path) + `/[^"]+/revoke)"`).FindStringSubmatch(list.body)
		if rev == nil {
			t.Fatal("no revoke form")
		}
		if p := prov.post(path, rev[1], url.Values{}); p.status != http.StatusSeeOther {
			t.Errorf("revoke: %d", p.status)
		}
		mustContain(t, prov.get(path), "No SCIM tokens.")

		admin := e.createUser(tn.ID, "admin@acme.example", "Ann Admin", "admin", "Acme#2026x")
		e.acceptTerms(admin)
		br := e.browser()
		br.signIn("admin@acme.example", "Acme#2026x")
		if p := br.get(path); p.status != http.StatusForbidden && p.status != http.StatusNotFound {
			t.Errorf("a tenant admin opened the SCIM tokens page: %d", p.status)
		}
	})
}
