package api_test

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"callrec/internal/principal"
	"callrec/internal/store/storetest"
)

// sendCSV posts a CSV body, which client.do would send as JSON.
func (c *client) sendCSV(path, body string) *response {
	c.e.t.Helper()
	req, _ := http.NewRequest("POST", c.e.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "text/csv")
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: principal.CookieName, Value: c.cookie})
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := &response{status: res.StatusCode, raw: string(raw)}
	_ = jsonUnmarshal(raw, &out.body)
	return out
}

func (e *env) userLicenses(c *client, id string) []string {
	e.t.Helper()
	r := c.want(http.StatusOK, "GET", "/api/v1/users/"+id, nil)
	var out []string
	for _, l := range r.body["licenses"].([]any) {
		out = append(out, l.(string))
	}
	return out
}

func TestBulkEditIsAllOrNothingAgainstThePools(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin := e.tokenClient("A:admin")
		e.tokenClient("provider").want(http.StatusOK, "PATCH", "/api/v1/tenants/"+e.tenantA.ID, map[string]any{"licenses": map[string]int{"screen_recording": 2}})
		var ids []string
		for i := 1; i <= 3; i++ {
			r := admin.want(http.StatusCreated, "POST", "/api/v1/users", map[string]any{"name": fmt.Sprintf("Agent %d", i), "role": "user"})
			ids = append(ids, r.body["id"].(string))
		}
		group := admin.want(http.StatusCreated, "POST", "/api/v1/groups", map[string]any{"name": "Call Center - ATL"}).body["id"].(string)
		changes := map[string]any{"role": "supervisor", "add_groups": []string{group}, "add_licenses": []string{"screen_recording"}}

		preview := admin.want(http.StatusOK, "POST", "/api/v1/users/bulk?dry_run=1", map[string]any{"user_ids": ids, "changes": changes})
		plan := preview.body["plan"].(map[string]any)
		if n := len(plan["users"].([]any)); n != 3 {
			t.Fatalf("preview lists %d users, want 3: %s", n, preview.raw)
		}
		pool := plan["pools"].([]any)[0].(map[string]any)
		if pool["type"] != "screen_recording" || pool["needed"].(float64) != 3 || pool["enough"] != false {
			t.Fatalf("pool check %v", pool)
		}
		if !strings.Contains(preview.raw, `"to":"Teams Supervisor | Supervisor"`) || !strings.Contains(preview.raw, "Call Center - ATL") {
			t.Fatalf("preview does not name role and group: %s", preview.raw)
		}

		r := admin.want(http.StatusConflict, "POST", "/api/v1/users/bulk", map[string]any{"user_ids": ids, "changes": changes})
		if r.errCode() != "license_unavailable" || !strings.Contains(r.raw, "Screen recording needs 3, 2 left") {
			t.Fatalf("shortage answer: %s", r.raw)
		}
		for _, id := range ids {
			u := admin.want(http.StatusOK, "GET", "/api/v1/users/"+id, nil)
			if u.body["role"] != "user" || len(u.body["licenses"].([]any)) != 0 || len(u.body["groups"].([]any)) != 1 {
				t.Fatalf("refused batch changed user %s: %s", id, u.raw)
			}
		}

		changes["add_licenses"] = []string{"call_recording"}
		admin.want(http.StatusOK, "POST", "/api/v1/users/bulk", map[string]any{"user_ids": ids, "changes": changes})
		for _, id := range ids {
			u := admin.want(http.StatusOK, "GET", "/api/v1/users/"+id, nil)
			if u.body["role"] != "supervisor" || !slices.Equal(e.userLicenses(admin, id), []string{"call_recording"}) || len(u.body["groups"].([]any)) != 2 {
				t.Fatalf("bulk edit not applied to %s: %s", id, u.raw)
			}
		}
		audit := admin.want(http.StatusOK, "GET", "/api/v1/audit?action=user.bulk_update", nil)
		if n := len(audit.items()); n != 3 {
			t.Fatalf("%d bulk audit entries, want one per user", n)
		}

		// Licenses freed by one user of the batch can go to another.
		admin.want(http.StatusOK, "POST", "/api/v1/users/bulk", map[string]any{"user_ids": ids[:2], "changes": map[string]any{"add_licenses": []string{"screen_recording"}}})
		admin.want(http.StatusOK, "POST", "/api/v1/users/bulk", map[string]any{"user_ids": ids, "changes": map[string]any{"remove_licenses": []string{"screen_recording"}}})

		tests := []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"per-user field", map[string]any{"user_ids": ids, "changes": map[string]any{"name": "Same Name"}}, "name"},
			{"no change", map[string]any{"user_ids": ids, "changes": map[string]any{}}, "changes"},
			{"no users", map[string]any{"user_ids": []string{}, "changes": map[string]any{"active": false}}, "user_ids"},
			{"default group", map[string]any{"user_ids": ids, "changes": map[string]any{"remove_groups": []string{e.defaultGroup(admin)}}}, "remove_groups"},
			{"bad role", map[string]any{"user_ids": ids, "changes": map[string]any{"role": "provider_admin"}}, "role"},
			{"other tenant's user", map[string]any{"user_ids": []string{e.users["B:admin"].ID}, "changes": map[string]any{"active": false}}, "user_ids"},
			{"self deactivation", map[string]any{"user_ids": []string{e.users["A:admin"].ID}, "changes": map[string]any{"active": false}}, "active"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := admin.want(http.StatusBadRequest, "POST", "/api/v1/users/bulk", tc.body)
				if r.field(tc.field) == "" {
					t.Fatalf("no message for %s: %s", tc.field, r.raw)
				}
			})
		}
	})
}

func (e *env) defaultGroup(c *client) string {
	e.t.Helper()
	for _, g := range c.want(http.StatusOK, "GET", "/api/v1/groups", nil).items() {
		if m := g.(map[string]any); m["is_default"] == true {
			return m["id"].(string)
		}
	}
	e.t.Fatal("no default group")
	return ""
}

func TestImportDryRunReportsRowsAndWritesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin := e.tokenClient("A:admin")
		admin.want(http.StatusCreated, "POST", "/api/v1/groups", map[string]any{"name": "Sales"})
		bad := "name,login,email,role,groups,extensions,licenses\n" +
			"Katie Jordan,katie@alpha.example,katie@alpha.example,user,Sales,1001,call_recording;live_monitoring\n" +
			"Lee Gu,lee@alpha.example,not-an-email,user,,1002,\n" +
			"Nestor Wilke,nestor@alpha.example,,supervisor,Marketing,12,\n"
		before := len(admin.want(http.StatusOK, "GET", "/api/v1/users", nil).items())

		r := admin.sendCSV("/api/v1/users/import?dry_run=1", bad)
		if r.status != http.StatusOK || r.body["created"].(float64) != 1 || r.body["applied"] != false {
			t.Fatalf("dry run: %d %s", r.status, r.raw)
		}
		rows := map[string]bool{}
		for _, x := range r.body["errors"].([]any) {
			m := x.(map[string]any)
			rows[fmt.Sprintf("%v:%v", m["row"], m["field"])] = true
		}
		for _, want := range []string{"3:email", "4:groups", "4:extensions"} {
			if !rows[want] {
				t.Errorf("dry run lacks error %s: %s", want, r.raw)
			}
		}
		r = admin.sendCSV("/api/v1/users/import", bad)
		if r.status != http.StatusBadRequest || r.errCode() != "validation_failed" || !strings.Contains(r.raw, `"rows"`) {
			t.Fatalf("import with errors: %d %s", r.status, r.raw)
		}
		if after := len(admin.want(http.StatusOK, "GET", "/api/v1/users", nil).items()); after != before {
			t.Fatalf("a refused import wrote users: %d → %d", before, after)
		}

		good := strings.Replace(strings.Replace(bad, "not-an-email", "lee@alpha.example", 1), "Marketing,12", "Sales,1003", 1)
		r = admin.sendCSV("/api/v1/users/import", good)
		if r.status != http.StatusOK || r.body["created"].(float64) != 3 || r.body["applied"] != true {
			t.Fatalf("import: %d %s", r.status, r.raw)
		}
		// The same logins again update instead of creating.
		r = admin.sendCSV("/api/v1/users/import", "login,role\nlee@alpha.example,user_self_view\n")
		if r.status != http.StatusOK || r.body["updated"].(float64) != 1 || r.body["created"].(float64) != 0 {
			t.Fatalf("update by login: %d %s", r.status, r.raw)
		}

		exp := admin.do("GET", "/api/v1/users/export?search=alpha.example", nil)
		recs, err := csv.NewReader(strings.NewReader(exp.raw)).ReadAll()
		if exp.status != http.StatusOK || err != nil || len(recs) != 4 {
			t.Fatalf("export: %d %v %d rows\n%s", exp.status, err, len(recs), exp.raw)
		}
		if recs[1][1] != "Katie Jordan" || recs[1][6] != "Sales;Users" || recs[1][20] != "call_recording;live_monitoring" {
			t.Fatalf("export row %v", recs[1])
		}
		if !strings.Contains(exp.raw, "user_self_view") {
			t.Fatalf("export lacks the updated role:\n%s", exp.raw)
		}
		// What was exported imports back unchanged.
		r = admin.sendCSV("/api/v1/users/import?dry_run=1", exp.raw)
		if r.status != http.StatusOK || r.body["updated"].(float64) != 3 || len(r.body["errors"].([]any)) != 0 {
			t.Fatalf("round trip: %d %s", r.status, r.raw)
		}

		for _, body := range []string{"", "nickname\nx\n", "name\n"} {
			if r := admin.sendCSV("/api/v1/users/import?dry_run=1", body); r.status != http.StatusBadRequest || r.field("file") == "" {
				t.Errorf("file %q: %d %s", body, r.status, r.raw)
			}
		}
	})
}

func TestAuditExportAndAdminRoutePermissions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin := e.tokenClient("A:admin")
		admin.want(http.StatusCreated, "POST", "/api/v1/groups", map[string]any{"name": "=HYPERLINK(\"x\")"})
		r := admin.do("GET", "/api/v1/audit/export?action=group.", nil)
		recs, err := csv.NewReader(strings.NewReader(r.raw)).ReadAll()
		if r.status != http.StatusOK || err != nil || len(recs) != 2 || recs[1][2] != "group.create" {
			t.Fatalf("audit export: %d %v\n%s", r.status, err, r.raw)
		}
		if !strings.HasPrefix(recs[1][4], "'=") {
			t.Fatalf("a formula-like name is not neutralised: %q", recs[1][4])
		}
		other := e.tokenClient("B:admin").do("GET", "/api/v1/audit/export", nil)
		if strings.Contains(other.raw, "HYPERLINK") {
			t.Fatal("tenant B's audit export shows tenant A's entries")
		}
		// An API user may read recordings but not manage users or read the audit log.
		c := e.tokenClient("A:api_user")
		for _, route := range [][2]string{{"POST", "/api/v1/users/bulk"}, {"GET", "/api/v1/users/export"}, {"POST", "/api/v1/users/import"}, {"GET", "/api/v1/audit/export"}} {
			if r := c.do(route[0], route[1], map[string]any{}); r.status != http.StatusForbidden {
				t.Errorf("api_user %s %s: %d", route[0], route[1], r.status)
			}
		}
	})
}
