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

func (e *env) signedInAdmin() *browser {
	e.t.Helper()
	u, err := e.db.Q().GetUserByLogin(context.Background(), adminLogin)
	if err != nil {
		e.t.Fatal(err)
	}
	e.acceptTerms(u)
	br := e.browser()
	if p := br.signIn(adminLogin, adminPassword); p.location != "/" {
		e.t.Fatalf("sign-in went to %q", p.location)
	}
	return br
}

func (e *env) defaultGroup() store.Group {
	e.t.Helper()
	g, err := e.db.Q().DefaultGroup(context.Background(), e.tenant.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return g
}

func TestAdminPagesRender(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		br := e.signedInAdmin()
		agent := e.createUser(e.tenant.ID, "agent@contoso.example", "Alex Agent", "user", "Agent#2026")
		tests := []struct {
			path  string
			wants []string
		}{
			{"/admin/users", []string{"Alex Agent", "Bulk edit selected", "1–2 of 2", `aria-current="page">Users`}},
			{"/admin/users?search=nobody", []string{"No user matches these filters."}},
			{"/admin/users/new", []string{"User info", "Recording settings", "+ Add extension", "Screen recording settings",
				"Web portal access settings", "Phone softkey services", "+ Set/reset PIN", "Licensing", "Speech analytics type",
				"10 of 10 left", "Supported formats: NETBIOS\\login, DOMAIN\\login, login", "Leave empty to use a default value"}},
			{"/admin/users/" + agent.ID, []string{"Alex Agent", "Reset password", "Reset 2-step verification", "Delete user…"}},
			{"/admin/users/" + agent.ID + "/delete", []string{"Delete user Alex Agent?", "Their recordings stay"}},
			{"/admin/users/bulk?id=" + agent.ID, []string{"1 selected user", "Preview changes", "Name, extensions, login, PIN and credentials"}},
			{"/admin/users/bulk", []string{"No users are selected"}},
			{"/admin/users/import", []string{"Check file (dry run)", "managed_groups"}},
			{"/admin/groups", []string{"+ Add Group", "Users", "Default", "Locked: holds every user", "About the default group"}},
			{"/admin/groups/new", []string{"Name", "Timezone", "Leave empty to use a default value"}},
			{"/admin/groups/" + e.defaultGroup().ID, []string{"This is the tenant's default group", "Always a member", "Alex Agent"}},
			{"/admin/roles", []string{"Teams Supervisor | Supervisor", `aria-current="page">Roles`}},
			{"/admin/settings", []string{"License usage", "0 / 10 used", "Set by your service provider", "90 days"}},
			{"/admin/audit", []string{"user.create", "Alex Agent", "Export CSV"}},
		}
		for _, tc := range tests {
			p := br.get(tc.path)
			if p.status != http.StatusOK {
				t.Errorf("%s: status %d\n%s", tc.path, p.status, p.body)
				continue
			}
			mustContain(t, p, tc.wants...)
		}
		if p := br.get("/admin"); p.location != "/admin/users" {
			t.Errorf("/admin went to %q", p.location)
		}
		if p := br.get("/admin/tenants"); p.status != http.StatusForbidden {
			t.Errorf("tenant admin sees the provider's tenants: %d", p.status)
		}
		if p := br.get("/admin/users/export"); p.status != http.StatusOK || !strings.Contains(p.body, "Alex Agent") {
			t.Errorf("export: %d %s", p.status, p.body)
		}
	})
}

func TestAddUserShowsErrorsInlineAndSavesEveryField(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		br := e.signedInAdmin()
		group, err := e.accounts.CreateGroup(context.Background(), account.System, e.tenant.ID, account.GroupInput{Name: ptr("Call Center - ATL")})
		if err != nil {
			t.Fatal(err)
		}
		form := url.Values{"name": {""}, "active": {"1"}, "role": {"supervisor"}, "email": {"not-mail"}, "record": {"always"},
			"extension": {"12", ""}, "screen_recording_username": {`bad\\name\\x`}, "login": {"katie@contoso.example"}, "web_portal_access": {"1"},
			"auth_type": {"saml"}, "pin": {"12a"}, "licenses": {"call_recording"}, "speech_analytics_type": {"basic"}}
		p := br.post("/admin/users/new", "/admin/users/new", form)
		if p.status != http.StatusBadRequest {
			t.Fatalf("invalid form: %d", p.status)
		}
		mustContain(t, p, `id="err-name"`, `id="err-email"`, `id="err-extensions"`, `id="err-screen_recording_username"`, `id="err-pin"`,
			"not a valid email address", `value="katie@contoso.example"`, "nothing was saved")
		if n, _ := e.db.Q().CountUsers(context.Background(), e.tenant.ID, store.UserFilter{}); n != 1 {
			t.Fatalf("a refused form created a user: %d users", n)
		}

		form.Set("name", "Katie Jordan")
		form.Set("email", "katie@contoso.example")
		form["extension"] = []string{"1535", "+18885551212"}
		form.Set("screen_recording_username", `CONTOSO\katie`)
		form.Set("pin", "4321")
		form["groups"] = []string{group.ID}
		form["managed_groups"] = []string{group.ID}
		form.Set("timezone", "Europe/London")
		form.Set("language", "fr")
		form.Set("record_inbound", "1")
		form.Set("confidential", "1")
		form.Set("valid_till", e.clock.Now().AddDate(0, 7, 0).Format(time.DateOnly))
		form.Set("two_factor_required", "1")
		form["licenses"] = []string{"call_recording", "live_monitoring"}
		p = br.post("/admin/users/new", "/admin/users/new", form)
		if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/admin/users/") {
			t.Fatalf("valid form: %d %q\n%s", p.status, p.location, p.body)
		}
		u, err := e.db.Q().GetUserByLogin(context.Background(), "katie@contoso.example")
		if err != nil {
			t.Fatal(err)
		}
		if u.Name != "Katie Jordan" || u.Role != "supervisor" || u.Email != "katie@contoso.example" || u.Timezone != "Europe/London" ||
			u.Language != "fr" || !u.RecordInbound || u.RecordOutbound || !u.Confidential || u.ScreenUsername != `CONTOSO\katie` ||
			!u.PortalAccess || u.AuthType != "saml" || !u.Require2FA || u.ValidTill == nil || !u.PINSet() || u.SpeechAnalyticsType != "basic" ||
			len(u.Extensions) != 2 || len(u.Groups) != 2 || len(u.ManagedGroups) != 1 || len(u.Licenses) != 2 {
			t.Fatalf("saved user %+v", u)
		}
		mustContain(t, br.get(p.location), "The user was added.", "8 of 10 left"[0:0]+"9 of 10 left", "A PIN is set.")

		// "+ Add extension" shows another box and saves nothing.
		form.Set("add_extension", "1")
		p = br.post(p.location, p.location, form)
		if p.status != http.StatusOK || strings.Count(p.body, `name="extension"`) != 3 {
			t.Fatalf("add extension: %d, %d boxes", p.status, strings.Count(p.body, `name="extension"`))
		}
	})
}

func TestGroupsProtectTheDefaultGroup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		br := e.signedInAdmin()
		def := e.defaultGroup()
		for _, path := range []string{"/admin/groups/" + def.ID + "/edit", "/admin/groups/" + def.ID + "/delete"} {
			p := br.get(path)
			if p.status != http.StatusConflict {
				t.Errorf("%s: %d", path, p.status)
			}
			mustContain(t, p, "The default group cannot be changed", "must stay one")
		}
		admin, _ := e.db.Q().GetUserByLogin(context.Background(), adminLogin)
		if p := br.post("/admin/groups/"+def.ID, "/admin/groups/"+def.ID+"/members/"+admin.ID+"/remove", url.Values{}); p.status != http.StatusConflict {
			t.Errorf("remove from default group: %d", p.status)
		}

		p := br.post("/admin/groups/new", "/admin/groups/new", url.Values{"name": {"Sales"}, "timezone": {"Europe/Paris"}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("add group: %d\n%s", p.status, p.body)
		}
		dup := br.post("/admin/groups/new", "/admin/groups/new", url.Values{"name": {"sales"}})
		if dup.status != http.StatusBadRequest {
			t.Fatalf("duplicate group: %d", dup.status)
		}
		mustContain(t, dup, `id="err-name"`, "already exists")
		groupPath := p.location
		p = br.post(groupPath, groupPath+"/members", url.Values{"user_id": {admin.ID}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("add member: %d", p.status)
		}
		mustContain(t, br.get(groupPath), "Ada Admin", "Remove")
		p = br.post(groupPath+"/edit", groupPath+"/edit", url.Values{"name": {"Inside Sales"}, "timezone": {""}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("edit group: %d", p.status)
		}
		p = br.post(groupPath+"/delete", groupPath+"/delete", url.Values{})
		if p.status != http.StatusSeeOther {
			t.Fatalf("delete group: %d", p.status)
		}
		if _, err := e.db.Q().GetUserByLogin(context.Background(), adminLogin); err != nil {
			t.Fatal("deleting a group deleted its member")
		}
	})
}

func TestBulkEditRefusesABatchThePoolCannotHold(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b) // live_monitoring pool: 4
		br := e.signedInAdmin()
		form := url.Values{"lic_live_monitoring": {"add"}, "role": {"user_self_view"}}
		var ids []string
		for _, n := range []string{"One", "Two", "Three", "Four", "Five"} {
			u := e.createUser(e.tenant.ID, strings.ToLower(n)+"@contoso.example", "Agent "+n, "user", "Agent#2026")
			ids = append(ids, u.ID)
		}
		form["id"] = ids
		form.Set("step", "preview")
		p := br.post("/admin/users/bulk?id="+ids[0], "/admin/users/bulk", form)
		mustContain(t, p, "Not enough licenses for the whole batch", "Live monitoring needs 5, 4 left", "Not enough")
		if strings.Contains(p.body, `value="apply"`) {
			t.Error("preview offers Apply although the pool is short")
		}
		form.Set("step", "apply")
		p = br.post("/admin/users/bulk?id="+ids[0], "/admin/users/bulk", form)
		if p.status != http.StatusConflict {
			t.Fatalf("apply short batch: %d", p.status)
		}
		mustContain(t, p, "Nothing was changed")
		for _, id := range ids {
			u, _ := e.db.Q().GetUser(context.Background(), e.tenant.ID, id)
			if u.Role != "user" || len(u.Licenses) != 0 {
				t.Fatalf("refused batch changed %s: %+v", u.Name, u)
			}
		}
		form["id"] = ids[:3]
		form.Set("step", "preview")
		mustContain(t, br.post("/admin/users/bulk?id="+ids[0], "/admin/users/bulk", form), "Apply to 3 users", "User Self View")
		form.Set("step", "apply")
		if p := br.post("/admin/users/bulk?id="+ids[0], "/admin/users/bulk", form); p.location != "/admin/users" {
			t.Fatalf("apply: %d %q\n%s", p.status, p.location, p.body)
		}
	})
}

func TestImportDryRunShowsRowErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		br := e.signedInAdmin()
		csv := "name,login,email,role,groups\nLee Gu,lee@contoso.example,lee@contoso.example,user,\nBad Row,bad@contoso.example,nope,boss,Nowhere\n"
		p := br.post("/admin/users/import", "/admin/users/import", url.Values{"csv": {csv}, "step": {"check"}})
		if p.status != http.StatusBadRequest {
			t.Fatalf("dry run with errors: %d", p.status)
		}
		mustContain(t, p, "problems found, nothing was written", "Bad Row", "not a valid email address", `no group named &#34;Nowhere&#34;`, "1 user would be added")
		if _, err := e.db.Q().GetUserByLogin(context.Background(), "lee@contoso.example"); err == nil {
			t.Fatal("a dry run wrote a user")
		}
		csv = strings.Replace(strings.Replace(strings.Replace(csv, "nope", "bad@contoso.example", 1), "boss", "user", 1), "Nowhere", "", 1)
		p = br.post("/admin/users/import", "/admin/users/import", url.Values{"csv": {csv}, "step": {"import"}})
		if p.location != "/admin/users" {
			t.Fatalf("import: %d %q\n%s", p.status, p.location, p.body)
		}
	})
}

func TestProviderManagesTenants(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		prov := e.createUser("", "provider@telecom.example", "Pat Provider", "provider_admin", "Provider#2026")
		e.acceptTerms(prov)
		br := e.browser()
		br.signIn("provider@telecom.example", "Provider#2026")
		mustContain(t, br.get("/admin/tenants"), "Contoso", "3100008477", "0/10", "Switch into")
		if p := br.get("/admin/users"); p.status != http.StatusConflict || !strings.Contains(p.body, "Pick a tenant first") {
			t.Fatalf("users without a tenant: %d", p.status)
		}
		form := url.Values{"name": {"Fabrikam"}, "account_number": {"31x"}, "timezone": {"UTC"}, "language": {"en"}, "retention_days": {"365"},
			"pool_call_recording": {"50"}, "pool_screen_recording": {"0"}, "pool_live_monitoring": {"50"}, "pool_agent_evaluation": {"0"}, "pool_speech_analytics": {"0"}}
		p := br.post("/admin/tenants/new", "/admin/tenants/new", form)
		if p.status != http.StatusBadRequest {
			t.Fatalf("bad account number: %d", p.status)
		}
		mustContain(t, p, `id="err-account_number"`)
		form.Set("account_number", "3100009999")
		if p := br.post("/admin/tenants/new", "/admin/tenants/new", form); p.location != "/admin/tenants" {
			t.Fatalf("create tenant: %d %q\n%s", p.status, p.location, p.body)
		}
		tn, err := e.db.Q().FindTenant(context.Background(), "Fabrikam")
		if err != nil || tn.RetentionDays != 365 {
			t.Fatalf("tenant %+v %v", tn, err)
		}
		if tn.DefaultRecord != "always" {
			t.Errorf("new tenant's default recording rule %q, want always", tn.DefaultRecord)
		}
		form.Set("default_record", "sometimes")
		p = br.post("/admin/tenants/"+tn.ID, "/admin/tenants/"+tn.ID, form)
		mustContain(t, p, `id="err-default_record"`)
		form.Set("default_record", "on_demand")
		if p := br.post("/admin/tenants/"+tn.ID, "/admin/tenants/"+tn.ID, form); p.status >= 400 {
			t.Fatalf("set default rule: %d", p.status)
		}
		if tn, err = e.db.Q().GetTenant(context.Background(), tn.ID); err != nil || tn.DefaultRecord != "on_demand" {
			t.Fatalf("default rule after the form: %q %v", tn.DefaultRecord, err)
		}
		mustContain(t, br.get("/admin/tenants/"+tn.ID), "Default recording rule", `<option value="on_demand" selected>`)
		form.Set("pool_call_recording", "-1")
		p = br.post("/admin/tenants/"+tn.ID, "/admin/tenants/"+tn.ID, form)
		mustContain(t, p, "err-licenses.call_recording")
		if p := br.get("/admin/audit"); p.status != http.StatusOK || !strings.Contains(p.body, "signin.") {
			t.Fatalf("provider audit: %d", p.status)
		}
	})
}

func ptr[T any](v T) *T { return &v }
