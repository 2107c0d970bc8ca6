package scim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"callrec/internal/account"
	"callrec/internal/caller"
	"callrec/internal/clock"
	"callrec/internal/roles"
	"callrec/internal/scim"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// The client side of these tests is written from RFC 7644, not from the
// server's types: raw requests with the RFC's JSON, answers read as maps.

const ext = "urn:callrec:params:scim:schemas:extension:callrec:2.0:User"

type env struct {
	t        *testing.T
	srv      *httptest.Server
	clock    *clock.Fake
	accounts *account.Service
	tokenA   string
	tokenB   string
	tenantA  store.Tenant
	tenantB  store.Tenant
}

func newEnv(t *testing.T, b storetest.Backend) *env {
	c := clock.NewFake()
	db := storetest.Open(t, b, c.Now)
	accounts := account.New(db, c.Now)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := scim.New(accounts, log, "http://callrec.test")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(scim.Prefix+"/", s)
	e := &env{t: t, srv: httptest.NewServer(mux), clock: c, accounts: accounts}
	t.Cleanup(e.srv.Close)
	ctx := context.Background()
	prov := &caller.Caller{User: store.User{ID: "p", Login: "provider", Role: roles.ProviderAdmin}}
	for i, name := range []string{"Alpha", "Beta"} {
		tn, err := accounts.CreateTenant(ctx, account.System, account.TenantInput{Name: &name,
			Licenses: map[string]int{"call_recording": 2, "live_monitoring": 5}})
		if err != nil {
			t.Fatal(err)
		}
		raw, _, err := accounts.CreateSCIMToken(ctx, prov, tn.ID, "provider portal")
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			e.tenantA, e.tokenA = tn, raw
		} else {
			e.tenantB, e.tokenB = tn, raw
		}
	}
	return e
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func (e *env) do(token, method, path, body string) answer {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	req.Header.Set("Accept", "application/scim+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	a := answer{status: res.StatusCode, header: res.Header}
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &a.body); err != nil {
			e.t.Fatalf("%s %s: not JSON: %s", method, path, raw)
		}
	}
	return a
}

func (e *env) want(a answer, status int) answer {
	e.t.Helper()
	if a.status != status {
		e.t.Fatalf("status %d, want %d: %v", a.status, status, a.body)
	}
	return a
}

// wantError checks the RFC 7644 §3.12 error body.
func (e *env) wantError(a answer, status int, scimType string) {
	e.t.Helper()
	e.want(a, status)
	schemas, _ := a.body["schemas"].([]any)
	if len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
		e.t.Errorf("error schemas = %v", a.body["schemas"])
	}
	if s, _ := a.body["status"].(string); s != strconv.Itoa(status) {
		e.t.Errorf("error status = %v, want %q", a.body["status"], strconv.Itoa(status))
	}
	if scimType != "" && a.body["scimType"] != scimType {
		e.t.Errorf("scimType = %v, want %s", a.body["scimType"], scimType)
	}
}

func (e *env) list(token, filter string) []map[string]any {
	e.t.Helper()
	a := e.want(e.do(token, "GET", "/scim/v2/Users?filter="+url.QueryEscape(filter), ""), 200)
	var out []map[string]any
	res, _ := a.body["Resources"].([]any)
	for _, r := range res {
		out = append(out, r.(map[string]any))
	}
	if n := int(a.body["totalResults"].(float64)); n != len(out) {
		e.t.Errorf("filter %s: totalResults %d but %d resources", filter, n, len(out))
	}
	return out
}

func userNames(rs []map[string]any) string {
	var out []string
	for _, r := range rs {
		out = append(out, r["userName"].(string))
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// bjensen is RFC 7644 §3.3's example user with callrec's extension.
const bjensen = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "` + ext + `"],
  "userName": "bjensen@example.com",
  "externalId": "bjensen",
  "name": {"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen", "givenName": "Barbara"},
  "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
  "active": true,
  "` + ext + `": {"licenses": ["call_recording"], "webPortalAccess": true}
}`

func TestUsersLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		created := e.want(e.do(e.tokenA, "POST", "/scim/v2/Users", bjensen), 201)
		id, _ := created.body["id"].(string)
		if loc := created.header.Get("Location"); loc != "http://callrec.test/scim/v2/Users/"+id {
			t.Errorf("Location = %q", loc)
		}
		x, _ := created.body[ext].(map[string]any)
		if x == nil || x["webPortalAccess"] != true || x["authenticationType"] != "saml" || len(x["licenses"].([]any)) != 1 {
			t.Fatalf("extension = %v", created.body[ext])
		}
		if created.body["displayName"] != "Ms. Barbara J Jensen III" || created.body["externalId"] != "bjensen" {
			t.Errorf("created = %v", created.body)
		}
		meta := created.body["meta"].(map[string]any)
		if meta["resourceType"] != "User" {
			t.Errorf("meta = %v", meta)
		}

		e.clock.Advance(2 * time.Second)
		mark := e.clock.Now().UTC().Format(time.RFC3339)
		e.clock.Advance(2 * time.Second)
		e.want(e.do(e.tokenA, "POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
			"userName":"jsmith","displayName":"John Smith","emails":[{"value":"john@example.org"}]}`), 201)

		// Duplicate userName: 409 uniqueness.
		e.wantError(e.do(e.tokenA, "POST", "/scim/v2/Users", bjensen), 409, "uniqueness")
		// No license left: jsmith takes the second, a third holder is refused.
		e.want(e.do(e.tokenA, "PATCH", "/scim/v2/Users/"+e.list(e.tokenA, `userName eq "jsmith"`)[0]["id"].(string),
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
			{"op":"add","path":"`+ext+`:licenses","value":["call_recording"]}]}`), 200)
		e.wantError(e.do(e.tokenA, "POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","`+ext+`"],
			"userName":"third","`+ext+`":{"licenses":["call_recording"]}}`), 400, "invalidValue")

		for _, tc := range []struct{ filter, want string }{
			{`userName eq "bjensen@example.com"`, "bjensen@example.com"},
			{`userName eq "BJENSEN@example.com"`, "bjensen@example.com"},
			{`displayName co "Smith"`, "jsmith"},
			{`userName sw "bj"`, "bjensen@example.com"},
			{`externalId eq "bjensen"`, "bjensen@example.com"},
			{`externalId pr`, "bjensen@example.com"},
			{`emails co "example.org"`, "jsmith"},
			{`emails[value sw "john"]`, "jsmith"},
			{`active eq true and userName sw "j"`, "jsmith"},
			{`userName eq "jsmith" or userName eq "bjensen@example.com"`, "bjensen@example.com,jsmith"},
			{`meta.lastModified gt "` + mark + `"`, "jsmith"},
			{`` + ext + `:licenses eq "call_recording"`, "bjensen@example.com,jsmith"},
		} {
			if got := userNames(e.list(e.tokenA, tc.filter)); got != tc.want {
				t.Errorf("filter %s: %s, want %s", tc.filter, got, tc.want)
			}
		}
		e.wantError(e.do(e.tokenA, "GET", "/scim/v2/Users?filter="+url.QueryEscape(`userName zz "x"`), ""), 400, "invalidFilter")

		// Pagination (RFC 7644 §3.4.2.4).
		pg := e.want(e.do(e.tokenA, "GET", "/scim/v2/Users?startIndex=2&count=1", ""), 200)
		if pg.body["totalResults"].(float64) != 2 || pg.body["itemsPerPage"].(float64) != 1 || pg.body["startIndex"].(float64) != 2 {
			t.Errorf("page = %v", pg.body)
		}

		// PATCH active with a path (RFC 7644 §3.5.2.3), then without one (as Entra ID sends it).
		p := e.want(e.do(e.tokenA, "PATCH", "/scim/v2/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"replace","path":"active","value":false}]}`), 200)
		if p.body["active"] != false {
			t.Errorf("after PATCH active = %v", p.body["active"])
		}
		p = e.want(e.do(e.tokenA, "PATCH", "/scim/v2/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"replace","value":{"active":true,"displayName":"Babs Jensen"}},
			{"op":"replace","path":"emails[type eq \"work\"].value","value":"babs@example.com"},
			{"op":"replace","path":"`+ext+`:webPortalAccess","value":false}]}`), 200)
		if p.body["active"] != true || p.body["displayName"] != "Babs Jensen" || p.body[ext].(map[string]any)["webPortalAccess"] != false {
			t.Errorf("after PATCH = %v", p.body)
		}
		if em := p.body["emails"].([]any)[0].(map[string]any)["value"]; em != "babs@example.com" {
			t.Errorf("email = %v", em)
		}
		e.wantError(e.do(e.tokenA, "PATCH", "/scim/v2/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"replace","path":"`+ext+`:licenses","value":["no_such_license"]}]}`), 400, "")

		// PUT replaces (RFC 7644 §3.5.1); the licenses stay as sent.
		put := e.want(e.do(e.tokenA, "PUT", "/scim/v2/Users/"+id, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","`+ext+`"],
			"userName":"bjensen@example.com","displayName":"Barbara Jensen","active":true,
			"`+ext+`":{"licenses":["call_recording","live_monitoring"],"webPortalAccess":true}}`), 200)
		if put.body["emails"] != nil || len(put.body[ext].(map[string]any)["licenses"].([]any)) != 2 || put.body["externalId"] != nil {
			t.Errorf("after PUT = %v", put.body)
		}

		// The account service kept the audit trail, named after the token.
		a := e.want(e.do(e.tokenA, "GET", "/scim/v2/Users/"+id, ""), 200)
		if a.body["displayName"] != "Barbara Jensen" {
			t.Errorf("GET after PUT = %v", a.body)
		}

		// Changes feed: everything so far, then a tombstone after DELETE;
		// a change shows once it has settled.
		e.clock.Advance(account.ChangesSettle)
		ch := e.want(e.do(e.tokenA, "GET", "/scim/v2/Changes", ""), 200)
		cursor := ch.body["nextCursor"].(string)
		if n := len(ch.body["Resources"].([]any)); n != 2 {
			t.Errorf("changes = %d, want 2", n)
		}
		e.clock.Advance(time.Second)
		e.want(e.do(e.tokenA, "DELETE", "/scim/v2/Users/"+id, ""), 204)
		e.wantError(e.do(e.tokenA, "GET", "/scim/v2/Users/"+id, ""), 404, "")
		if rs := e.want(e.do(e.tokenA, "GET", "/scim/v2/Changes?since="+url.QueryEscape(cursor), ""), 200).body["Resources"].([]any); len(rs) != 0 {
			t.Errorf("an unsettled change was reported: %v", rs)
		}
		e.clock.Advance(account.ChangesSettle)
		ch = e.want(e.do(e.tokenA, "GET", "/scim/v2/Changes?since="+url.QueryEscape(cursor), ""), 200)
		rs := ch.body["Resources"].([]any)
		if len(rs) != 1 || rs[0].(map[string]any)["deleted"] != true || rs[0].(map[string]any)["userName"] != "bjensen@example.com" {
			t.Errorf("changes after delete = %v", rs)
		}
	})
}

func TestIsolationAndTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		a := e.want(e.do(e.tokenA, "POST", "/scim/v2/Users", bjensen), 201)
		id := a.body["id"].(string)
		e.wantError(e.do(e.tokenB, "GET", "/scim/v2/Users/"+id, ""), 404, "")
		e.wantError(e.do(e.tokenB, "PATCH", "/scim/v2/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"replace","path":"active","value":false}]}`), 404, "")
		e.wantError(e.do(e.tokenB, "DELETE", "/scim/v2/Users/"+id, ""), 404, "")
		if got := e.list(e.tokenB, `userName pr`); len(got) != 0 {
			t.Errorf("tenant B sees %v", got)
		}
		if rs := e.want(e.do(e.tokenB, "GET", "/scim/v2/Changes", ""), 200).body["Resources"].([]any); len(rs) != 0 {
			t.Errorf("tenant B changes %v", rs)
		}
		// Tenant B can use the same userName? No: logins are unique installation-wide.
		e.wantError(e.do(e.tokenB, "POST", "/scim/v2/Users", bjensen), 409, "uniqueness")

		for _, tok := range []string{"", "wrong", e.tokenA + "x"} {
			e.wantError(e.do(tok, "GET", "/scim/v2/Users", ""), 401, "")
		}
		// A revoked token stops working.
		prov := &caller.Caller{User: store.User{ID: "p", Login: "provider", Role: roles.ProviderAdmin}}
		ts, err := e.accounts.SCIMTokens(context.Background(), prov, e.tenantB.ID)
		if err != nil || len(ts) != 1 {
			t.Fatalf("tokens %v %v", ts, err)
		}
		if err := e.accounts.RevokeSCIMToken(context.Background(), prov, e.tenantB.ID, ts[0].ID); err != nil {
			t.Fatal(err)
		}
		e.wantError(e.do(e.tokenB, "GET", "/scim/v2/Users", ""), 401, "")
		// Only the provider issues tokens.
		admin := &caller.Caller{User: store.User{ID: "x", TenantID: e.tenantA.ID, Role: roles.Admin}, TenantID: e.tenantA.ID}
		if _, _, err := e.accounts.CreateSCIMToken(context.Background(), admin, e.tenantA.ID, "mine"); err == nil {
			t.Error("a tenant admin issued a SCIM token")
		}
	})
}

func TestGroupsAndDiscovery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		u := e.want(e.do(e.tokenA, "POST", "/scim/v2/Users", bjensen), 201).body["id"].(string)
		g := e.want(e.do(e.tokenA, "POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
			"displayName":"Sales","externalId":"sales-1","members":[{"value":"`+u+`"}]}`), 201)
		gid := g.body["id"].(string)
		if ms := g.body["members"].([]any); len(ms) != 1 {
			t.Errorf("members = %v", ms)
		}
		user := e.want(e.do(e.tokenA, "GET", "/scim/v2/Users/"+u, ""), 200)
		if !strings.Contains(jsonOf(user.body["groups"]), `"display":"Sales"`) {
			t.Errorf("user groups = %v", user.body["groups"])
		}
		p := e.want(e.do(e.tokenA, "PATCH", "/scim/v2/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"remove","path":"members[value eq \"`+u+`\"]"},{"op":"replace","path":"displayName","value":"Sales EMEA"}]}`), 200)
		if p.body["displayName"] != "Sales EMEA" || len(p.body["members"].([]any)) != 0 {
			t.Errorf("after PATCH = %v", p.body)
		}
		e.wantError(e.do(e.tokenA, "PATCH", "/scim/v2/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"add","path":"members","value":[{"value":"nobody"}]}]}`), 400, "invalidValue")
		gl := e.want(e.do(e.tokenA, "GET", "/scim/v2/Groups?filter="+url.QueryEscape(`displayName eq "Sales EMEA"`), ""), 200)
		if gl.body["totalResults"].(float64) != 1 {
			t.Errorf("groups = %v", gl.body)
		}
		e.wantError(e.do(e.tokenB, "GET", "/scim/v2/Groups/"+gid, ""), 404, "")
		e.want(e.do(e.tokenA, "DELETE", "/scim/v2/Groups/"+gid, ""), 204)

		spc := e.want(e.do(e.tokenA, "GET", "/scim/v2/ServiceProviderConfig", ""), 200)
		if spc.body["patch"].(map[string]any)["supported"] != true || spc.body["filter"].(map[string]any)["supported"] != true {
			t.Errorf("ServiceProviderConfig = %v", spc.body)
		}
		rt := e.want(e.do(e.tokenA, "GET", "/scim/v2/ResourceTypes", ""), 200)
		if !strings.Contains(jsonOf(rt.body), ext) {
			t.Errorf("ResourceTypes lacks the extension: %v", rt.body)
		}
		sc := e.want(e.do(e.tokenA, "GET", "/scim/v2/Schemas/"+ext, ""), 200)
		if !strings.Contains(jsonOf(sc.body), "webPortalAccess") {
			t.Errorf("schema = %v", sc.body)
		}
	})
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestLicenseHolderChanges: the provider's feed spans tenants, carries
// tombstones, pages by cursor, and is the provider's alone.
func TestLicenseHolderChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		ctx := context.Background()
		a := e.want(e.do(e.tokenA, "POST", "/scim/v2/Users", bjensen), 201).body["id"].(string)
		e.want(e.do(e.tokenB, "POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob@beta.example"}`), 201)
		e.clock.Advance(account.ChangesSettle)
		prov := &caller.Caller{User: store.User{ID: "p", Login: "provider", Role: roles.ProviderAdmin}}
		first, cur, err := e.accounts.LicenseHolderChanges(ctx, prov, "", 1)
		if err != nil || len(first) != 1 {
			t.Fatalf("first page %v %v", first, err)
		}
		rest, cur, err := e.accounts.LicenseHolderChanges(ctx, prov, cur, 10)
		if err != nil || len(rest) != 1 || rest[0].TenantID == first[0].TenantID {
			t.Fatalf("second page %v %v", rest, err)
		}
		e.want(e.do(e.tokenA, "DELETE", "/scim/v2/Users/"+a, ""), 204)
		e.clock.Advance(account.ChangesSettle)
		gone, _, err := e.accounts.LicenseHolderChanges(ctx, prov, cur, 10)
		if err != nil || len(gone) != 1 || !gone[0].Deleted || gone[0].TenantID != e.tenantA.ID || gone[0].Login != "bjensen@example.com" {
			t.Fatalf("after delete %+v %v", gone, err)
		}
		admin := &caller.Caller{User: store.User{ID: "x", TenantID: e.tenantA.ID, Role: roles.Admin}, TenantID: e.tenantA.ID}
		if _, _, err := e.accounts.LicenseHolderChanges(ctx, admin, "", 10); err == nil {
			t.Error("a tenant admin read the provider's feed")
		}
	})
}
