package msemu

import (
	"net/http"
	"net/url"
)

// adminConsentV1 is GET /{tenant|common}/adminconsent.
func (e *Emulator) adminConsentV1(w http.ResponseWriter, r *http.Request) {
	e.startAdminConsent(w, r, false)
}

// adminConsentV2 is GET /{tenant|organizations}/v2.0/adminconsent.
func (e *Emulator) adminConsentV2(w http.ResponseWriter, r *http.Request) {
	e.startAdminConsent(w, r, true)
}

func (e *Emulator) startAdminConsent(w http.ResponseWriter, r *http.Request, v2 bool) {
	q := r.URL.Query()
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, aerr := e.checkClient(r.PathValue("tenant"), q.Get("client_id"), q.Get("redirect_uri")); aerr != nil {
		e.renderError(w, aerr)
		return
	}
	if v2 {
		_, refs, bad := parseScopes(q.Get("scope"))
		if bad != "" || len(refs) == 0 || !allDefault(refs) {
			redirectTo(w, r, q.Get("redirect_uri"), url.Values{"error": {"invalid_request"},
				"error_description": {aadDesc(70011, "The provided value for the input parameter 'scope' is not valid. Admin consent requires a '/.default' scope.")},
				"state":             {q.Get("state")}})
			return
		}
	}
	e.startFlow(w, r, &authFlow{
		Kind: flowAdminConsent, V2: v2, PathTenant: r.PathValue("tenant"), ClientID: q.Get("client_id"),
		RedirectURI: q.Get("redirect_uri"), State: q.Get("state"), Scope: q.Get("scope"), Prompt: q.Get("prompt"),
	})
}

func allDefault(refs []scopeRef) bool {
	for _, r := range refs {
		if r.Value != ".default" {
			return false
		}
	}
	return true
}

// proceedAdminConsent shows the tenant-wide consent page to an administrator;
// anyone else is sent back with consent_required and admin_consent=True, as
// Microsoft does.
func (e *Emulator) proceedAdminConsent(w http.ResponseWriter, r *http.Request, f *authFlow, t *tenant, u *user) {
	if !u.isAdmin() {
		delete(e.w.Flows, f.ID)
		redirectTo(w, r, f.RedirectURI, url.Values{"admin_consent": {"True"}, "error": {"consent_required"},
			"error_description": {aadDesc(90094, "The grant requires admin permission.")}, "state": {f.State}})
		return
	}
	app := e.w.Apps[f.ClientID]
	lines := permissionLines(appPermissionRefs(app, false), false)
	lines = append(lines, permissionLines(appPermissionRefs(app, true), true)...)
	e.renderPage(w, "consent", e.pageData(f, func(d *pageData) {
		d.User, d.Permissions, d.Tenant = u, lines, t
	}))
}
