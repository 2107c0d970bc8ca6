package ui

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"callrec/internal/principal"
	"callrec/internal/roles"
	"callrec/internal/store"
	"callrec/internal/validate"
)

// errPickTenant answers a tenant page opened by a provider admin who is not
// acting in a tenant.
var errPickTenant = &pageError{Status: http.StatusConflict, Title: "Pick a tenant first",
	Message: "This page works inside one tenant. Choose the tenant with “Acting in” at the top, or switch into it from the Tenants page.",
	Href:    "/admin/tenants", Action: "Go to Tenants"}

// adminHome sends Administration to its first page: the tenants for the
// provider's own view, the users inside a tenant.
func (h *Handler) adminHome(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	target := "/admin/users"
	if p.IsProvider() && p.TenantID == "" {
		target = "/admin/tenants"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// adminView renders an Administration page with its sub-navigation entry.
func (h *Handler) adminView(w http.ResponseWriter, r *http.Request, status int, page, title, sub string, data any, msg string) {
	h.render(w, r, status, page, view{Title: title, Nav: "admin", Sub: sub, Data: data, Error: msg})
}

// pool is a license pool with what is left, for checkboxes and bars.
type pool struct {
	store.LicensePool
	Left int
}

// pools are a tenant's license pools as the caller may see them.
func (h *Handler) pools(r *http.Request, p *principal.Principal, tenantID string) ([]pool, error) {
	ps, err := h.Accounts.Pools(r.Context(), p, tenantID)
	if err != nil {
		return nil, serviceErr(err)
	}
	return poolsOf(ps), nil
}

// poolsOf adds what is left to each pool.
func poolsOf(ps []store.LicensePool) []pool {
	out := make([]pool, len(ps))
	for i, lp := range ps {
		out[i] = pool{LicensePool: lp, Left: max(0, lp.Total-lp.Used)}
	}
	return out
}

// option is one choice of a select or radio group.
type option struct{ Value, Label string }

// timezones offered in the pickers; a stored zone outside the list is
// added to it so that saving a form never changes it by accident.
var timezones = []string{"UTC", "Africa/Johannesburg", "America/Anchorage", "America/Chicago", "America/Denver", "America/Halifax",
	"America/Los_Angeles", "America/Mexico_City", "America/New_York", "America/Phoenix", "America/Sao_Paulo", "America/Toronto",
	"Asia/Dubai", "Asia/Hong_Kong", "Asia/Kolkata", "Asia/Singapore", "Asia/Tokyo", "Australia/Perth", "Australia/Sydney",
	"Europe/Amsterdam", "Europe/Berlin", "Europe/Dublin", "Europe/Lisbon", "Europe/London", "Europe/Madrid", "Europe/Paris",
	"Europe/Rome", "Europe/Stockholm", "Europe/Warsaw", "Europe/Zurich", "Pacific/Auckland", "Pacific/Honolulu"}

func timezoneOptions(current string) []string {
	for _, z := range timezones {
		if z == current {
			return timezones
		}
	}
	if current == "" {
		return timezones
	}
	return append([]string{current}, timezones...)
}

var languageNames = map[string]string{"en": "English", "de": "Deutsch", "es": "Español", "fr": "Français", "it": "Italiano", "nl": "Nederlands", "pt": "Português"}

func languageOptions() []option {
	var out []option
	for _, l := range validate.Languages() {
		out = append(out, option{l, languageNames[l]})
	}
	return out
}

// tenantRoles are the roles a tenant user may hold, in catalogue order.
func tenantRoles() []roles.Role {
	var out []roles.Role
	for _, r := range roles.Catalogue() {
		if !r.Provider {
			out = append(out, r)
		}
	}
	return out
}

// day formats an optional time as a date for date inputs and tables.
func day(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}

// withQuery returns path with q's values plus key=value (value "" drops key).
func withQuery(path string, q url.Values, key, value string) template.URL {
	c := url.Values{}
	for k, v := range q {
		c[k] = append([]string(nil), v...)
	}
	switch {
	case key == "":
	case value == "":
		c.Del(key)
	default:
		c.Set(key, value)
	}
	if len(c) == 0 {
		return template.URL(path)
	}
	return template.URL(path + "?" + c.Encode())
}

// formBool reads a checkbox.
func formBool(r *http.Request, name string) bool { return r.PostForm.Get(name) != "" }

// formList reads the non-empty values of a repeated field.
func formList(r *http.Request, name string) []string {
	out := []string{}
	for _, v := range r.PostForm[name] {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// formInt reads a number field; ok is false for anything else.
func formInt(r *http.Request, name string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get(name)))
	return n, err == nil
}

// fieldRef passes a form's errors and one field name to the error template.
type fieldRef struct {
	E map[string]string
	F string
}

// fieldLabel names a form field in an error summary as its label does.
func fieldLabel(f string) string {
	labels := map[string]string{"name": "Name", "active": "Status", "groups": "Group", "role": "Role", "managed_groups": "Managed groups",
		"email": "Email", "timezone": "Timezone", "language": "Language", "record": "Record", "extensions": "Extension",
		"screen_recording_username": "Screen Recording Username", "login": "Login", "auth_type": "Authentication type",
		"valid_till": "Valid till", "pin": "PIN", "password": "Password", "new_password": "Reset password", "licenses": "Licenses",
		"speech_analytics_type": "Speech analytics type", "account_number": "Account number", "retention_days": "Retention",
		"max_calls": "Concurrent calls", "address": "Address", "domain": "Domain",
		"file": "File", "changes": "Changes", "user_ids": "Selection", "remove_groups": "Remove from groups", "add_groups": "Add to groups"}
	if l, ok := labels[f]; ok {
		return l
	}
	return f
}
