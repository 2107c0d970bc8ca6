package msemu

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// consentedApp is one application on the My Apps page.
type consentedApp struct {
	App         *appRegistration
	Permissions []permissionLine
}

// consentedApps lists the apps holding delegated grants in the tenant,
// with the permissions granted, grouped by resource.
func (e *Emulator) consentedApps(t *tenant) []consentedApp {
	var out []consentedApp
	for _, app := range e.w.Apps {
		sp := t.spByAppID(app.ClientID)
		if sp == nil {
			continue
		}
		var refs []scopeRef
		for _, g := range t.Grants {
			if g.ClientID != sp.ID {
				continue
			}
			res := t.ServicePrincipals[g.ResourceID]
			for _, s := range strings.Fields(g.Scope) {
				ref := scopeRef{Resource: res.AppID, Value: s}
				if !slices.Contains(refs, ref) {
					refs = append(refs, ref)
				}
			}
		}
		if len(refs) > 0 {
			sort.SliceStable(refs, func(i, j int) bool { return refs[i].Resource > refs[j].Resource })
			out = append(out, consentedApp{App: app, Permissions: permissionLines(refs, false)})
		}
	}
	return out
}

func (e *Emulator) myApps(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.adminPage(w, r, "myapps", "My Apps", func(d *pageData, t *tenant) {
		d.Data = e.consentedApps(t)
	})
}

func (e *Emulator) myApp(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.adminPage(w, r, "myapp", "My Apps", func(d *pageData, t *tenant) {
		for _, ca := range e.consentedApps(t) {
			if ca.App.ClientID == r.PathValue("app") {
				d.Data, d.Title = ca, ca.App.DisplayName
			}
		}
	})
}

// myAppRevoke is "Revoke consent": every delegated grant of the app in the
// tenant goes, so its refresh tokens stop yielding access tokens.
func (e *Emulator) myAppRevoke(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, admin := e.adminFor(r)
	if admin == nil {
		http.Redirect(w, r, e.opts.BaseURL+"/myapps", http.StatusSeeOther)
		return
	}
	if sp := t.spByAppID(r.PathValue("app")); sp != nil {
		for id, g := range t.Grants {
			if g.ClientID == sp.ID {
				delete(t.Grants, id)
			}
		}
	}
	http.Redirect(w, r, e.opts.BaseURL+"/myapps?notice="+url.QueryEscape("Consent revoked."), http.StatusSeeOther)
}
