package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"callrec/internal/account"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// TestSIPSourceOverlap: a tenant cannot register an address another
// tenant's source already claims (same IP, an IP inside a CIDR, CIDRs that
// intersect, IPv6, IPv4-mapped IPv6), unless both sources name different
// domains; overlaps within one tenant stay allowed. A refusal is a 400 on
// address that names neither the other tenant nor its source, and stores
// nothing.
func TestSIPSourceOverlap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		alpha, beta := e.tokenClient("A:admin"), e.tokenClient("B:admin")
		tests := []struct {
			name         string
			first        [2]string // address, domain (Alpha's)
			second       [2]string
			sameTenant   bool
			wantOverlaps bool
		}{
			{"same IP", [2]string{"192.0.2.10", ""}, [2]string{"192.0.2.10", ""}, false, true},
			{"IP inside CIDR", [2]string{"192.0.2.0/24", ""}, [2]string{"192.0.2.77", ""}, false, true},
			{"CIDR around IP", [2]string{"192.0.2.77", ""}, [2]string{"192.0.2.0/24", ""}, false, true},
			{"intersecting CIDRs", [2]string{"10.0.0.0/8", ""}, [2]string{"10.20.0.0/16", ""}, false, true},
			{"disjoint CIDRs", [2]string{"10.0.0.0/25", ""}, [2]string{"10.0.0.128/25", ""}, false, false},
			{"IPv6", [2]string{"2001:db8::/32", ""}, [2]string{"2001:db8:1::5", ""}, false, true},
			{"IPv6 apart", [2]string{"2001:db8::/48", ""}, [2]string{"2001:db8:1::5", ""}, false, false},
			{"IPv4-mapped IPv6", [2]string{"192.0.2.0/24", ""}, [2]string{"::ffff:192.0.2.5", ""}, false, true},
			{"IPv4-mapped prefix", [2]string{"::ffff:192.0.2.0/120", ""}, [2]string{"192.0.2.200", ""}, false, true},
			{"same tenant", [2]string{"192.0.2.10", ""}, [2]string{"192.0.2.0/24", ""}, true, false},
			{"different domains", [2]string{"192.0.2.10", "alpha.example"}, [2]string{"192.0.2.10", "beta.example"}, false, false},
			{"same domain in another case", [2]string{"192.0.2.10", "shared.example"}, [2]string{"192.0.2.0/24", "SHARED.example"}, false, true},
			{"second without domain", [2]string{"192.0.2.10", "alpha.example"}, [2]string{"192.0.2.10", ""}, false, true},
			{"first without domain", [2]string{"192.0.2.0/24", ""}, [2]string{"192.0.2.10", "beta.example"}, false, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				first := alpha.want(http.StatusCreated, "POST", "/api/v1/sip-sources",
					map[string]any{"name": "Alpha SBC", "address": tt.first[0], "domain": tt.first[1]}).body
				defer alpha.want(http.StatusNoContent, "DELETE", "/api/v1/sip-sources/"+first["id"].(string), nil)
				c := beta
				if tt.sameTenant {
					c = alpha
				}
				r := c.do("POST", "/api/v1/sip-sources", map[string]any{"name": "Second SBC", "address": tt.second[0], "domain": tt.second[1]})
				if !tt.wantOverlaps {
					if r.status != http.StatusCreated {
						t.Fatalf("refused: %d %s", r.status, r.raw)
					}
					c.want(http.StatusNoContent, "DELETE", "/api/v1/sip-sources/"+r.body["id"].(string), nil)
					return
				}
				if r.status != http.StatusBadRequest || r.errCode() != "validation_failed" ||
					!strings.Contains(r.field("address"), "overlaps a source registered to another customer") {
					t.Fatalf("want 400 on address: %d %s", r.status, r.raw)
				}
				for _, secret := range []string{"Alpha", tt.first[0], first["id"].(string)} {
					if strings.Contains(r.raw, secret) {
						t.Errorf("the refusal reveals %q: %s", secret, r.raw)
					}
				}
				if n := len(beta.want(http.StatusOK, "GET", "/api/v1/sip-sources", nil).items()); n != 0 {
					t.Errorf("a refused source was stored: Beta has %d", n)
				}
			})
		}
	})
}

// TestSIPSourceEditIntoOverlap: an edit that moves a source's address or
// domain into another tenant's space is refused and changes nothing; a
// rename of a source that overlapped before the rule existed is not.
func TestSIPSourceEditIntoOverlap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		alpha, beta := e.tokenClient("A:admin"), e.tokenClient("B:admin")
		alpha.want(http.StatusCreated, "POST", "/api/v1/sip-sources", map[string]any{"name": "Alpha SBC", "address": "192.0.2.0/24", "domain": "alpha.example"})
		id := beta.want(http.StatusCreated, "POST", "/api/v1/sip-sources",
			map[string]any{"name": "Beta SBC", "address": "198.51.100.1", "domain": "beta.example"}).body["id"].(string)
		path := "/api/v1/sip-sources/" + id

		beta.want(http.StatusOK, "PATCH", path, map[string]any{"address": "192.0.2.5"}) // different domains share it
		for _, patch := range []map[string]any{
			{"domain": ""},
			{"domain": "ALPHA.example"},
			{"address": "192.0.2.0/23", "domain": ""},
		} {
			if r := beta.want(http.StatusBadRequest, "PATCH", path, patch); !strings.Contains(r.field("address"), "another customer") {
				t.Errorf("%v: %s", patch, r.raw)
			}
		}
		if got := beta.want(http.StatusOK, "GET", path, nil).body; got["address"] != "192.0.2.5" || got["domain"] != "beta.example" {
			t.Errorf("a refused edit changed the source: %v", got)
		}

		legacy := store.SIPSource{ID: account.NewID(), TenantID: e.tenantB.ID, Name: "Legacy", Address: "192.0.2.0/24",
			CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now()}
		if err := e.db.Q().InsertSIPSource(context.Background(), legacy); err != nil {
			t.Fatal(err)
		}
		beta.want(http.StatusOK, "PATCH", "/api/v1/sip-sources/"+legacy.ID, map[string]any{"name": "Legacy (renamed)"})
		beta.want(http.StatusBadRequest, "PATCH", "/api/v1/sip-sources/"+legacy.ID, map[string]any{"address": "192.0.2.0/25"})
	})
}

// TestSIPSourceOverlapConcurrent: two tenants register overlapping sources
// at the same moment, round after round; at most one of each pair is
// stored, whatever the interleaving (PostgreSQL's table lock, SQLite's
// single writer).
func TestSIPSourceOverlapConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		clients := []*client{e.tokenClient("A:admin"), e.tokenClient("B:admin")}
		for round := range 30 {
			start := make(chan struct{})
			var wg sync.WaitGroup
			status := make([]int, 2)
			for i, c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					addr := fmt.Sprintf("10.%d.0.0/16", round)
					if i == 1 {
						addr = fmt.Sprintf("10.%d.7.7", round)
					}
					status[i] = c.do("POST", "/api/v1/sip-sources", map[string]any{"name": fmt.Sprintf("SBC %d", round), "address": addr}).status
				}()
			}
			close(start)
			wg.Wait()
			won := 0
			for _, s := range status {
				switch s {
				case http.StatusCreated:
					won++
				case http.StatusBadRequest:
				default:
					t.Fatalf("round %d: status %v", round, status)
				}
			}
			if won != 1 {
				t.Fatalf("round %d: %d tenants registered overlapping sources (statuses %v), want exactly 1", round, won, status)
			}
		}
		all, err := e.db.Q().AllSIPSources(context.Background())
		if err != nil || len(all) != 30 {
			t.Errorf("%d sources stored, want 30 (%v)", len(all), err)
		}
	})
}

// TestProviderSIPSources: the provider lists every tenant's sources with
// their tenant and the overlaps across tenants flagged; a tenant admin gets
// 403 there, lists only its own tenant's sources, and another tenant's
// source answers 404 to it and to a provider acting in another tenant.
func TestProviderSIPSources(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		alpha, beta, provider := e.tokenClient("A:admin"), e.tokenClient("B:admin"), e.tokenClient("provider")
		if items := provider.want(http.StatusOK, "GET", "/api/v1/provider/sip-sources", nil).items(); len(items) != 0 {
			t.Fatalf("no source yet, got %v", items)
		}
		a := alpha.want(http.StatusCreated, "POST", "/api/v1/sip-sources", map[string]any{"name": "Alpha SBC", "address": "192.0.2.0/24"}).body
		bID := beta.want(http.StatusCreated, "POST", "/api/v1/sip-sources", map[string]any{"name": "Beta SBC", "address": "198.51.100.0/24"}).body["id"].(string)
		legacy := store.SIPSource{ID: account.NewID(), TenantID: e.tenantB.ID, Name: "Beta legacy", Address: "192.0.2.9",
			CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now().Add(time.Second)}
		if err := e.db.Q().InsertSIPSource(context.Background(), legacy); err != nil {
			t.Fatal(err)
		}

		items := provider.want(http.StatusOK, "GET", "/api/v1/provider/sip-sources", nil).items()
		var got []string
		conflicts := map[string]string{}
		for _, it := range items {
			m := it.(map[string]any)
			got = append(got, m["tenant_name"].(string)+"/"+m["name"].(string)+"/"+m["address"].(string))
			for _, c := range m["conflicts"].([]any) {
				cm := c.(map[string]any)
				conflicts[m["name"].(string)] = cm["tenant_name"].(string) + "/" + cm["name"].(string)
			}
		}
		want := []string{"Alpha/Alpha SBC/192.0.2.0/24", "Beta/Beta legacy/192.0.2.9", "Beta/Beta SBC/198.51.100.0/24"}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("provider list %v, want %v", got, want)
		}
		if len(conflicts) != 2 || conflicts["Alpha SBC"] != "Beta/Beta legacy" || conflicts["Beta legacy"] != "Alpha/Alpha SBC" {
			t.Errorf("conflicts %v", conflicts)
		}

		alpha.want(http.StatusForbidden, "GET", "/api/v1/provider/sip-sources", nil)
		if items := alpha.want(http.StatusOK, "GET", "/api/v1/sip-sources", nil).items(); len(items) != 1 || items[0].(map[string]any)["id"] != a["id"] {
			t.Errorf("Alpha lists %v, want only its own", items)
		}
		alpha.want(http.StatusNotFound, "GET", "/api/v1/sip-sources/"+bID, nil)
		actingInAlpha := e.tokenClient("provider")
		actingInAlpha.tenant = e.tenantA.ID
		actingInAlpha.want(http.StatusNotFound, "GET", "/api/v1/sip-sources/"+bID, nil)
		actingInAlpha.want(http.StatusOK, "GET", "/api/v1/sip-sources/"+a["id"].(string), nil)
	})
}

// TestProviderAlertsAPI: the provider lists and dismisses its alerts; a
// tenant admin may do neither.
func TestProviderAlertsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		ctx := context.Background()
		err := e.db.InTx(ctx, func(tx store.Q) error {
			_, err := tx.RaiseProviderAlert(ctx, store.ProviderAlert{ID: "al1", Kind: "sip_source_ambiguous", Message: "two customers",
				Detail: []byte(`{"from":"192.0.2.9"}`), DedupKey: "x", CreatedAt: e.db.Now()}, e.db.Now().Add(-time.Hour))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		provider, alpha := e.tokenClient("provider"), e.tokenClient("A:admin")
		items := provider.want(http.StatusOK, "GET", "/api/v1/provider/alerts", nil).items()
		if len(items) != 1 || items[0].(map[string]any)["detail"].(map[string]any)["from"] != "192.0.2.9" {
			t.Fatalf("alerts %v", items)
		}
		alpha.want(http.StatusForbidden, "GET", "/api/v1/provider/alerts", nil)
		alpha.want(http.StatusForbidden, "POST", "/api/v1/provider/alerts/al1/resolve", nil)
		provider.want(http.StatusNoContent, "POST", "/api/v1/provider/alerts/al1/resolve", nil)
		provider.want(http.StatusNotFound, "POST", "/api/v1/provider/alerts/al1/resolve", nil)
		if items := provider.want(http.StatusOK, "GET", "/api/v1/provider/alerts", nil).items(); len(items) != 0 {
			t.Errorf("after resolve: %v", items)
		}
	})
}

// TestTenantMaxCalls: the provider sets a tenant's max_calls through
// PATCH /tenants/{id}, audited; a tenant admin cannot, even on its own
// tenant.
func TestTenantMaxCalls(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		provider, alpha := e.tokenClient("provider"), e.tokenClient("A:admin")
		path := "/api/v1/tenants/" + e.tenantA.ID
		if got := provider.want(http.StatusOK, "GET", path, nil).body["max_calls"]; got != 0.0 {
			t.Errorf("default max_calls %v, want 0 (no limit)", got)
		}
		if got := provider.want(http.StatusOK, "PATCH", path, map[string]any{"max_calls": 25}).body["max_calls"]; got != 25.0 {
			t.Errorf("max_calls after PATCH %v", got)
		}
		for _, bad := range []any{-1, 100_001} {
			if r := provider.want(http.StatusBadRequest, "PATCH", path, map[string]any{"max_calls": bad}); r.field("max_calls") == "" {
				t.Errorf("max_calls %v: %s", bad, r.raw)
			}
		}
		if r := alpha.want(http.StatusBadRequest, "PATCH", path, map[string]any{"max_calls": 0}); r.field("max_calls") != "set by the service provider" {
			t.Errorf("tenant admin: %s", r.raw)
		}
		if got := alpha.want(http.StatusOK, "GET", path, nil).body["max_calls"]; got != 25.0 {
			t.Errorf("max_calls %v after the refused change, want 25", got)
		}
		audited := false
		for _, it := range alpha.want(http.StatusOK, "GET", "/api/v1/audit?action=tenant.update", nil).items() {
			audited = audited || strings.Contains(it.(map[string]any)["detail"].(string), `"max_calls":25`)
		}
		if !audited {
			t.Error("the change of max_calls is not in the tenant's audit log")
		}
	})
}
