package ui

import (
	"net/http"
	"strings"

	"callrec/internal/account"
	"callrec/internal/principal"
	"callrec/internal/roles"
	"callrec/internal/store"
	"callrec/internal/validate"
)

// tenantForm is the tenant as its forms show it; Pools keeps the typed
// text of each pool so a refused form shows what was entered.
type tenantForm struct {
	Name          string
	AccountNumber string
	Timezone      string
	Language      string
	RetentionDays string
	DefaultRecord string
	MaxCalls      string // "" for no limit
	Enforce2FA    bool
	Pools         map[string]string
}

// tenantPage is the settings page of a tenant or the provider's tenant form.
type tenantFormPage struct {
	Tenant     *store.Tenant
	Form       tenantForm
	Pools      []pool
	Provider   bool // may change retention, account number, pools and concurrent calls
	Timezones  []string
	Languages  []option
	Errors     map[string]string
	LicenseTyp []string
}

func tenantFormOf(t store.Tenant, pools []pool) tenantForm {
	f := tenantForm{Name: t.Name, AccountNumber: t.AccountNumber, Timezone: t.Timezone, Language: t.Language,
		RetentionDays: itoa(t.RetentionDays), DefaultRecord: t.DefaultRecord, Enforce2FA: t.Enforce2FA, Pools: map[string]string{}}
	if t.MaxCalls > 0 {
		f.MaxCalls = itoa(t.MaxCalls)
	}
	for _, p := range pools {
		f.Pools[p.Type] = itoa(p.Total)
	}
	return f
}

// readTenantForm reads the form; provider-only fields only for the provider.
func readTenantForm(r *http.Request, provider bool) (tenantForm, account.TenantInput, validate.Errors) {
	f := tenantForm{Name: r.PostForm.Get("name"), AccountNumber: strings.TrimSpace(r.PostForm.Get("account_number")),
		Timezone: r.PostForm.Get("timezone"), Language: r.PostForm.Get("language"), RetentionDays: r.PostForm.Get("retention_days"),
		DefaultRecord: r.PostForm.Get("default_record"), Enforce2FA: formBool(r, "enforce_two_factor"), Pools: map[string]string{}}
	in := account.TenantInput{Name: &f.Name, Timezone: &f.Timezone, Language: &f.Language, Enforce2FA: &f.Enforce2FA}
	if r.PostForm.Has("default_record") {
		in.DefaultRecord = &f.DefaultRecord
	}
	errs := validate.Errors{}
	if !provider {
		return f, in, errs
	}
	in.AccountNumber = &f.AccountNumber
	if n, ok := formInt(r, "retention_days"); ok {
		in.RetentionDays = &n
	} else {
		errs.Add("retention_days", "a number of days, such as 90")
	}
	f.MaxCalls = strings.TrimSpace(r.PostForm.Get("max_calls"))
	if n, ok := formInt(r, "max_calls"); ok || f.MaxCalls == "" && r.PostForm.Has("max_calls") {
		in.MaxCalls = &n
	} else if f.MaxCalls != "" {
		errs.Add("max_calls", "a whole number of calls, or empty for no limit")
	}
	in.Licenses = map[string]int{}
	for _, lt := range store.LicenseTypes() {
		f.Pools[lt] = r.PostForm.Get("pool_" + lt)
		if n, ok := formInt(r, "pool_"+lt); ok {
			in.Licenses[lt] = n
		} else {
			errs.Add("licenses."+lt, "a whole number, 0 for none")
		}
	}
	return f, in, errs
}

func (h *Handler) showTenantForm(w http.ResponseWriter, r *http.Request, p *principal.Principal, status int, page, title, sub string, v tenantFormPage) error {
	if v.Tenant != nil {
		ps, err := h.pools(r, p, v.Tenant.ID)
		if err != nil {
			return err
		}
		v.Pools = ps
	}
	v.Timezones, v.Languages, v.LicenseTyp = timezoneOptions(v.Form.Timezone), languageOptions(), store.LicenseTypes()
	msg := ""
	if len(v.Errors) > 0 {
		msg = "Nothing was saved; see the messages below the fields."
	}
	h.adminView(w, r, status, page, title, sub, v, msg)
	return nil
}

func (h *Handler) settingsPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	t, err := h.Accounts.Tenant(r.Context(), p, p.TenantID)
	if err != nil {
		return serviceErr(err)
	}
	ps, err := h.pools(r, p, t.ID)
	if err != nil {
		return err
	}
	return h.showTenantForm(w, r, p, http.StatusOK, "settings", "Tenant settings", "settings",
		tenantFormPage{Tenant: &t, Form: tenantFormOf(t, ps), Provider: p.Can(roles.TenantsManage)})
}

func (h *Handler) saveSettings(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	return h.saveTenant(w, r, p, p.TenantID, "settings", "/admin/settings", "settings_saved")
}

// saveTenant applies a tenant form and shows it again with errors, or
// redirects to done. The provider's fields are read from the provider only.
func (h *Handler) saveTenant(w http.ResponseWriter, r *http.Request, p *principal.Principal, id, page, done, flash string) error {
	t, err := h.Accounts.Tenant(r.Context(), p, id)
	if err != nil {
		return serviceErr(err)
	}
	provider := p.Can(roles.TenantsManage)
	f, in, errs := readTenantForm(r, provider)
	v := tenantFormPage{Tenant: &t, Form: f, Provider: provider}
	if len(errs) == 0 {
		_, err = h.Accounts.UpdateTenant(r.Context(), p.Actor(), id, in, provider)
		if fields, ok := formErrors(err); ok {
			errs = fields
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		v.Errors = errs
		sub := "settings"
		if page == "tenant" {
			sub = "tenants"
		}
		return h.showTenantForm(w, r, p, http.StatusBadRequest, page, t.Name, sub, v)
	}
	h.redirectFlash(w, r, done, flash)
	return nil
}

// tenantsView is the provider's list of tenants.
type tenantsView struct {
	Rows []tenantListRow
}

// tenantListRow is one tenant with its users and pools.
type tenantListRow struct {
	Tenant store.Tenant
	Users  int
	Pools  []pool
	SSO    string // "tenant": its own IdP; "provider": the provider-wide IdP; "": none
}

func (h *Handler) tenantsPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	usages, err := h.Accounts.TenantUsages(r.Context(), p)
	if err != nil {
		return serviceErr(err)
	}
	var v tenantsView
	var own map[string]bool
	all := false
	if h.SSO != nil {
		if own, all, err = h.SSO.TenantsUsingSSO(r.Context(), p); err != nil {
			return serviceErr(err)
		}
	}
	for _, u := range usages {
		row := tenantListRow{Tenant: u.Tenant, Users: u.Users, Pools: poolsOf(u.Pools)}
		switch {
		case own[u.Tenant.ID]:
			row.SSO = "tenant"
		case all:
			row.SSO = "provider"
		}
		v.Rows = append(v.Rows, row)
	}
	h.adminView(w, r, http.StatusOK, "tenants", "Tenants", "tenants", v, "")
	return nil
}

func (h *Handler) newTenantPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	f := tenantForm{Timezone: "UTC", Language: "en", RetentionDays: "90", DefaultRecord: "always", Pools: map[string]string{}}
	for _, lt := range store.LicenseTypes() {
		f.Pools[lt] = "0"
	}
	return h.showTenantForm(w, r, p, http.StatusOK, "tenant", "Add tenant", "tenants", tenantFormPage{Form: f, Provider: true})
}

func (h *Handler) createTenant(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	f, in, errs := readTenantForm(r, true)
	if len(errs) == 0 {
		_, err := h.Accounts.CreateTenant(r.Context(), p.Actor(), in)
		if fields, ok := formErrors(err); ok {
			errs = fields
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return h.showTenantForm(w, r, p, http.StatusBadRequest, "tenant", "Add tenant", "tenants", tenantFormPage{Form: f, Provider: true, Errors: errs})
	}
	h.redirectFlash(w, r, "/admin/tenants", "tenant_created")
	return nil
}

func (h *Handler) editTenantPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	t, err := h.Accounts.Tenant(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return serviceErr(err)
	}
	ps, err := h.pools(r, p, t.ID)
	if err != nil {
		return err
	}
	return h.showTenantForm(w, r, p, http.StatusOK, "tenant", t.Name, "tenants", tenantFormPage{Tenant: &t, Form: tenantFormOf(t, ps), Provider: true})
}

func (h *Handler) updateTenant(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	return h.saveTenant(w, r, p, r.PathValue("id"), "tenant", "/admin/tenants", "tenant_saved")
}
