package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"callrec/internal/account"
	"callrec/internal/store/storetest"
)

// TestSIPSourcesPage: an admin adds, edits and deletes a SIPREC source in
// the portal; a bad address is shown inline and stores nothing; a source of
// another tenant is not found.
func TestSIPSourcesPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		ctx := context.Background()
		br := e.signedInAdmin()
		mustContain(t, br.get("/admin/sip-sources"), "No SIPREC source yet", "Add a source", `href="/admin/sip-sources" aria-current="page"`)

		p := br.post("/admin/sip-sources", "/admin/sip-sources", url.Values{"name": {"Frankfurt SBC"}, "address": {"192.0.2.300"}})
		if p.status != http.StatusBadRequest {
			t.Fatalf("bad address: %d", p.status)
		}
		mustContain(t, p, `id="err-address"`, `value="Frankfurt SBC"`)
		if got, _ := e.db.Q().ListSIPSources(ctx, e.tenant.ID); len(got) != 0 {
			t.Fatalf("a refused form stored %v", got)
		}

		p = br.post("/admin/sip-sources", "/admin/sip-sources", url.Values{"name": {"Frankfurt SBC"}, "address": {"192.0.2.0/28"}, "domain": {"Contoso.Example"}})
		if p.location != "/admin/sip-sources" {
			t.Fatalf("add: %d %q\n%s", p.status, p.location, p.body)
		}
		mustContain(t, br.get("/admin/sip-sources"), "The SIPREC source was added", "Frankfurt SBC", "192.0.2.0/28", "contoso.example")
		srcs, err := e.db.Q().ListSIPSources(ctx, e.tenant.ID)
		if err != nil || len(srcs) != 1 {
			t.Fatalf("sources %v %v", srcs, err)
		}
		id := srcs[0].ID

		edit := "/admin/sip-sources/" + id
		mustContain(t, br.get(edit), "Edit Frankfurt SBC", `value="192.0.2.0/28"`)
		if p := br.post(edit, edit, url.Values{"name": {"Frankfurt SBC"}, "address": {"192.0.2.10"}, "domain": {""}}); p.location != "/admin/sip-sources" {
			t.Fatalf("edit: %d\n%s", p.status, p.body)
		}
		if s, err := e.db.Q().GetSIPSource(ctx, e.tenant.ID, id); err != nil || s.Address != "192.0.2.10" || s.Domain != "" {
			t.Fatalf("after edit %+v %v", s, err)
		}

		other := e.createTenant("Fabrikam", "3100000001", false)
		name, addr := "Fabrikam SBC", "198.51.100.7"
		theirs, err := e.accounts.CreateSIPSource(ctx, account.System, other.ID, account.SIPSourceInput{Name: &name, Address: &addr})
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/admin/sip-sources/" + theirs.ID, "/admin/sip-sources/" + theirs.ID + "/delete"} {
			if p := br.get(path); p.status != http.StatusNotFound {
				t.Errorf("GET %s of another tenant: %d", path, p.status)
			}
		}
		if p := br.post(edit, "/admin/sip-sources/"+theirs.ID+"/delete", url.Values{}); p.status != http.StatusNotFound {
			t.Errorf("deleting another tenant's source: %d", p.status)
		}
		if _, err := e.db.Q().GetSIPSource(ctx, other.ID, theirs.ID); err != nil {
			t.Errorf("another tenant's source is gone: %v", err)
		}
		mustContain(t, br.get(edit+"/delete"), "Delete SIPREC source Frankfurt SBC?", "refused (SIP 403)")
		if p := br.post(edit+"/delete", edit+"/delete", url.Values{}); p.location != "/admin/sip-sources" {
			t.Fatalf("delete: %d", p.status)
		}
		if got, _ := e.db.Q().ListSIPSources(ctx, e.tenant.ID); len(got) != 0 {
			t.Fatalf("after delete %v", got)
		}
	})
}
