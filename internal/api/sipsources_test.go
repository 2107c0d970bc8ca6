package api_test

import (
	"net/http"
	"testing"

	"callrec/internal/roles"
	"callrec/internal/store/storetest"
)

// TestSIPSources registers, changes and removes a tenant's SIPREC sources:
// bad addresses and names are refused naming the field and change nothing,
// another tenant neither sees nor touches them, a user without the
// integrations permission is refused, and every change is audited.
func TestSIPSources(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin, other := e.tokenClient("A:admin"), e.tokenClient("B:admin")
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"name": "SBC", "address": "10.0.0.300"}, "address"},
			{map[string]any{"name": "SBC", "address": "10.0.0.0/33"}, "address"},
			{map[string]any{"name": " ", "address": "10.0.0.1"}, "name"},
			{map[string]any{"name": "SBC", "address": "10.0.0.1", "domain": "sip:pbx.example:5060"}, "domain"},
		} {
			if r := admin.want(http.StatusBadRequest, "POST", "/api/v1/sip-sources", c.body); r.field(c.field) == "" {
				t.Errorf("%v: no error on %s: %s", c.body, c.field, r.raw)
			}
		}
		admin.want(http.StatusBadRequest, "POST", "/api/v1/sip-sources", map[string]any{"name": "SBC", "address": "10.0.0.1", "port": 5060})
		if n := len(admin.want(http.StatusOK, "GET", "/api/v1/sip-sources", nil).items()); n != 0 {
			t.Fatalf("refused sources were stored: %d", n)
		}

		created := admin.want(http.StatusCreated, "POST", "/api/v1/sip-sources",
			map[string]any{"name": "Frankfurt SBC", "address": "192.0.2.0/24", "domain": "PBX.Contoso.example"}).body
		id, _ := created["id"].(string)
		if created["domain"] != "pbx.contoso.example" || id == "" {
			t.Fatalf("created %v", created)
		}
		if r := admin.want(http.StatusBadRequest, "POST", "/api/v1/sip-sources", map[string]any{"name": "Frankfurt SBC", "address": "198.51.100.7"}); r.field("name") == "" {
			t.Errorf("duplicate name: %s", r.raw)
		}
		other.want(http.StatusCreated, "POST", "/api/v1/sip-sources", map[string]any{"name": "Frankfurt SBC", "address": "198.51.100.7"})

		other.want(http.StatusNotFound, "GET", "/api/v1/sip-sources/"+id, nil)
		other.want(http.StatusNotFound, "PATCH", "/api/v1/sip-sources/"+id, map[string]any{"address": "0.0.0.0/0"})
		other.want(http.StatusNotFound, "DELETE", "/api/v1/sip-sources/"+id, nil)
		if items := other.want(http.StatusOK, "GET", "/api/v1/sip-sources", nil).items(); len(items) != 1 {
			t.Errorf("tenant B lists %d sources, want its own 1", len(items))
		}
		e.tokenClient("A:"+roles.APIUser).want(http.StatusForbidden, "GET", "/api/v1/sip-sources", nil)
		e.tokenClient("A:"+roles.APIUser).want(http.StatusForbidden, "POST", "/api/v1/sip-sources", map[string]any{"name": "Mine", "address": "0.0.0.0/0"})

		if r := admin.want(http.StatusBadRequest, "PATCH", "/api/v1/sip-sources/"+id, map[string]any{"address": "nowhere"}); r.field("address") == "" {
			t.Errorf("bad patch: %s", r.raw)
		}
		if got := admin.want(http.StatusOK, "PATCH", "/api/v1/sip-sources/"+id, map[string]any{"address": "192.0.2.10"}).body; got["address"] != "192.0.2.10" || got["name"] != "Frankfurt SBC" {
			t.Errorf("patched %v", got)
		}
		admin.want(http.StatusNoContent, "DELETE", "/api/v1/sip-sources/"+id, nil)
		admin.want(http.StatusNotFound, "DELETE", "/api/v1/sip-sources/"+id, nil)

		audit := admin.want(http.StatusOK, "GET", "/api/v1/audit?object_id="+id, nil).items()
		actions := map[string]bool{}
		for _, a := range audit {
			actions[a.(map[string]any)["action"].(string)] = true
		}
		for _, want := range []string{"sip_source.create", "sip_source.update", "sip_source.delete"} {
			if !actions[want] {
				t.Errorf("audit lacks %s: %v", want, actions)
			}
		}
	})
}
