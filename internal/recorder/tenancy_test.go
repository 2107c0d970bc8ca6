package recorder_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"callrec/internal/account"
	"callrec/internal/roles"
	"callrec/internal/siprecload"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// addTenant creates a second tenant, Fabrikam, whose agent has the same
// extension (2001) as Contoso's, so only the source can tell their calls
// apart; its source on the same SBC address is qualified by its domain.
func (e *env) addTenant(maxCalls int) store.Tenant {
	e.t.Helper()
	ctx := context.Background()
	accounts := account.New(e.db, nil)
	name := "Fabrikam"
	tn, err := accounts.CreateTenant(ctx, account.System, account.TenantInput{Name: &name, MaxCalls: &maxCalls,
		Licenses: map[string]int{"call_recording": 10}})
	if err != nil {
		e.t.Fatal(err)
	}
	e.mustUserIn(accounts, tn.ID, "fab-agent", roles.User, []string{"2001"}, []string{"call_recording"}, "always")
	src, addr, domain := "Shared SBC", "127.0.0.1", "fabrikam.example"
	if _, err := accounts.CreateSIPSource(ctx, account.System, tn.ID, account.SIPSourceInput{Name: &src, Address: &addr, Domain: &domain}); err != nil {
		e.t.Fatalf("Fabrikam's source beside Contoso's (different domains): %v", err)
	}
	e.rec.InvalidateSources()
	return tn
}

// callsOf lists a tenant's call rows.
func (e *env) callsOf(tenantID string) []store.Call {
	e.t.Helper()
	cs, _, err := e.db.Q().ListCalls(context.Background(), tenantID, store.CallFilter{Limit: 500})
	if err != nil {
		e.t.Fatal(err)
	}
	return cs
}

// dialAs places a call to extension 2001 with the request-URI user domain.
func (e *env) dialAs(ctx context.Context, domain string) (*siprecload.Call, error) {
	spec := e.spec("sip:2001@pbx.example")
	spec.User = domain
	return e.client.Dial(ctx, spec)
}

// TestSharedSBCRoutesByDomain: two tenants' sources on one SBC address,
// each qualified by its domain: every INVITE lands in the tenant whose
// domain it carries, recorded for that tenant's user, and an INVITE with
// neither domain is refused.
func TestSharedSBCRoutesByDomain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, 0)
		ctx := context.Background()
		fab := e.addTenant(0)
		for _, tc := range []struct {
			domain string
			tenant string
		}{{"sbc.example", e.tenant.ID}, {"fabrikam.example", fab.ID}, {"FABRIKAM.example", fab.ID}, {"sbc.example", e.tenant.ID}} {
			call, err := e.dialAs(ctx, tc.domain)
			if err != nil {
				t.Fatalf("%s: %v", tc.domain, err)
			}
			if err := call.Bye(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range [][2]any{{e.tenant.ID, 2}, {fab.ID, 2}} {
			rows := e.callsOf(c[0].(string))
			if len(rows) != c[1].(int) {
				t.Fatalf("tenant %s has %d calls, want %d", c[0], len(rows), c[1])
			}
			for _, r := range rows {
				u, err := e.db.Q().GetUser(ctx, r.TenantID, r.RecordedUserID)
				if err != nil || !r.Recorded || u.TenantID != r.TenantID {
					t.Errorf("call %+v recorded for %+v (%v)", r, u, err)
				}
			}
		}
		_, err := e.dialAs(ctx, "contoso.example")
		var se *siprecload.StatusError
		if !errors.As(err, &se) || se.Code != 403 {
			t.Errorf("INVITE with neither domain: %v, want 403", err)
		}
	})
}

// TestAmbiguousSourceRefused: sources of two tenants registered before
// overlaps were refused (inserted through the store) match an INVITE
// equally well: every such INVITE gets 403, no tenant gets a call, and a
// flood of them raises one provider alert naming both sources and
// tenants, with one provider audit entry.
func TestAmbiguousSourceRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, 0)
		ctx := context.Background()
		name := "Northwind"
		nw, err := account.New(e.db, nil).CreateTenant(ctx, account.System, account.TenantInput{Name: &name})
		if err != nil {
			t.Fatal(err)
		}
		legacy := store.SIPSource{ID: account.NewID(), TenantID: nw.ID, Name: "Legacy SBC", Address: "127.0.0.0/8", Domain: "SBC.example",
			CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := e.db.Q().InsertSIPSource(ctx, legacy); err != nil {
			t.Fatal(err)
		}
		e.rec.InvalidateSources()

		var wg sync.WaitGroup
		codes := make([]int, 12)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.client.Dial(ctx, e.spec("sip:2001@pbx.example"))
				var se *siprecload.StatusError
				if errors.As(err, &se) {
					codes[i] = se.Code
				}
			}()
		}
		wg.Wait()
		for i, c := range codes {
			if c != 403 {
				t.Errorf("INVITE %d: %d, want 403", i, c)
			}
		}
		if n, m := len(e.calls()), len(e.callsOf(nw.ID)); n+m != 0 {
			t.Errorf("calls stored: Contoso %d, Northwind %d", n, m)
		}

		alerts, err := e.db.Q().OpenProviderAlerts(ctx)
		if err != nil || len(alerts) != 1 {
			t.Fatalf("provider alerts %+v %v, want 1", alerts, err)
		}
		var d struct {
			From    string `json:"from"`
			Sources []struct {
				ID         string `json:"id"`
				TenantID   string `json:"tenant_id"`
				TenantName string `json:"tenant_name"`
			} `json:"sources"`
		}
		if err := json.Unmarshal(alerts[0].Detail, &d); err != nil {
			t.Fatal(err)
		}
		var tenants []string
		for _, s := range d.Sources {
			tenants = append(tenants, s.TenantName)
		}
		slices.Sort(tenants)
		if alerts[0].Kind != "sip_source_ambiguous" || d.From != "127.0.0.1" || strings.Join(tenants, ",") != "Contoso,Northwind" ||
			!strings.Contains(alerts[0].Message, "Legacy SBC") || !strings.Contains(alerts[0].Message, "refused") {
			t.Errorf("alert %+v, detail %+v", alerts[0], d)
		}
		audit, _, err := e.db.Q().ListAudit(ctx, "", store.AuditFilter{Action: "sip_source.ambiguous_call"})
		if err != nil || len(audit) != 1 || audit[0].ActorLogin != "recorder" {
			t.Errorf("provider audit %+v %v, want one entry", audit, err)
		}
		for _, tn := range []string{e.tenant.ID, nw.ID} {
			if got, _ := e.db.Q().OpenAlerts(ctx, tn); len(got) != 0 {
				t.Errorf("tenant %s sees an alert about another customer: %+v", tn, got)
			}
		}
	})
}

// TestTenantCapacity: Contoso at its max_calls gets 503 with Retry-After
// while Fabrikam's call on the same recorder is accepted; a slot frees at
// BYE. While the database is down the limit last read still holds and
// other tenants are still recorded.
func TestTenantCapacity(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		var dbURL string
		open := b
		open.URL = func(t testing.TB) string { dbURL = b.URL(t); return dbURL }
		e := newEnv(t, open, 0)
		ctx := context.Background()
		one := 1
		if _, err := account.New(e.db, nil).UpdateTenant(ctx, account.System, e.tenant.ID, account.TenantInput{MaxCalls: &one}, true); err != nil {
			t.Fatal(err)
		}
		fab := e.addTenant(0)
		busy := func(what string) {
			t.Helper()
			_, err := e.dialAs(ctx, "sbc.example")
			var se *siprecload.StatusError
			if !errors.As(err, &se) || se.Code != 503 || se.RetryAfter <= 0 {
				t.Errorf("%s: %v (%+v), want 503 with Retry-After", what, err, se)
			}
		}
		// Calls that must outlive the outage carry audio, or the RTP timeout
		// would end them and free their slot.
		answered := func(what, domain string) func() {
			t.Helper()
			call, err := e.dialAs(ctx, domain)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			flows := e.playTones(call)
			return func() {
				t.Helper()
				e.stopTones(flows)
				if err := call.Bye(ctx); err != nil {
					t.Fatalf("%s: %v", what, err)
				}
			}
		}
		endFirst := answered("Contoso's first call", "sbc.example")
		busy("Contoso's second call")
		endOther := answered("Fabrikam's call while Contoso is at its limit", "fabrikam.example")

		unlock := lockCalls(t, b.Name, dbURL)
		busy("Contoso's second call with the database down")
		call, err := e.dialAs(ctx, "fabrikam.example")
		unlock()
		if err != nil {
			t.Fatalf("Fabrikam's call with the database down: %v", err)
		}
		if err := call.Bye(ctx); err != nil {
			t.Fatal(err)
		}

		endFirst()
		endAgain := answered("Contoso's call after its first ended", "sbc.example")
		endAgain()
		endOther()
		if n := len(e.calls()); n != 2 {
			t.Errorf("Contoso has %d calls, want 2 (the refused ones leave no row)", n)
		}
		deadline := time.Now().Add(10 * time.Second)
		for len(e.callsOf(fab.ID)) < 2 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond) // the outage call's row is written by a retry loop
		}
		if n := len(e.callsOf(fab.ID)); n != 2 {
			t.Errorf("Fabrikam has %d calls, want 2", n)
		}
	})
}
