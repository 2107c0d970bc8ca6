package msemu

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// requestedScopes expands a scope parameter into delegated permissions per
// resource: ".default" means every permission the app registration lists,
// and OpenID Connect scopes are Microsoft Graph permissions.
func requestedScopes(app *appRegistration, scope string) []scopeRef {
	oidc, refs, _ := parseScopes(scope)
	var out []scopeRef
	add := func(ref scopeRef) {
		if !slices.Contains(out, ref) {
			out = append(out, ref)
		}
	}
	for _, s := range oidc {
		add(scopeRef{Resource: GraphAppID, Value: s})
	}
	for _, ref := range refs {
		if ref.Value != ".default" {
			add(ref)
			continue
		}
		for _, name := range app.Delegated[ref.Resource] {
			add(scopeRef{Resource: ref.Resource, Value: name})
		}
	}
	return out
}

// grantedScopes lists the delegated permissions a user holds for the app on
// a resource: tenant-wide grants plus the user's own.
func grantedScopes(t *tenant, appID, resourceAppID, userID string) []string {
	client, res := t.spByAppID(appID), t.spByAppID(resourceAppID)
	if client == nil || res == nil {
		return nil
	}
	var out []string
	for _, g := range t.Grants {
		if g.ClientID != client.ID || g.ResourceID != res.ID {
			continue
		}
		if g.ConsentType == "AllPrincipals" || g.PrincipalID == userID {
			for _, s := range strings.Fields(g.Scope) {
				if !slices.Contains(out, s) {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

func (e *Emulator) missingScopes(t *tenant, app *appRegistration, u *user, f *authFlow) []scopeRef {
	var out []scopeRef
	for _, ref := range requestedScopes(app, f.Scope) {
		if f.Prompt == "consent" || !slices.Contains(grantedScopes(t, app.ClientID, ref.Resource, u.ID), ref.Value) {
			out = append(out, ref)
		}
	}
	return out
}

func needsAdmin(refs []scopeRef) bool {
	for _, ref := range refs {
		if p := findResource(ref.Resource).permission(ref.Value, false); p != nil && p.AdminOnly {
			return true
		}
	}
	return false
}

func permissionLines(refs []scopeRef, appRoles bool) []permissionLine {
	var out []permissionLine
	for _, ref := range refs {
		res := findResource(ref.Resource)
		line := permissionLine{Resource: res.DisplayName, Name: ref.Value, Text: ref.Value}
		if text, ok := oidcConsentText(ref.Value); ok {
			line.Text = text
		} else if p := res.permission(ref.Value, appRoles); p != nil {
			line.Text = p.Consent
		}
		out = append(out, line)
	}
	return out
}

func oidcConsentText(name string) (string, bool) {
	switch name {
	case "openid":
		return "Sign in as you", true
	case "email":
		return "View your email address", true
	case "profile":
		return "View your basic profile", true
	case "offline_access":
		return "Maintain access to data you have given it access to", true
	}
	return "", false
}

// ensureSP returns the app's service principal in the tenant, creating it
// as consent does at Microsoft.
func (e *Emulator) ensureSP(t *tenant, app *appRegistration) *servicePrincipal {
	if sp := t.spByAppID(app.ClientID); sp != nil {
		return sp
	}
	sp := &servicePrincipal{ID: e.ids.NewID(), AppID: app.ClientID, DisplayName: app.DisplayName, Created: e.clock.Now()}
	t.ServicePrincipals[sp.ID] = sp
	return sp
}

// grantDelegated records consent to delegated permissions, one
// oauth2PermissionGrant per client, resource and consent type.
func (e *Emulator) grantDelegated(t *tenant, app *appRegistration, refs []scopeRef, consentType, userID string) {
	client := e.ensureSP(t, app)
	if consentType == "AllPrincipals" {
		userID = ""
	}
	for _, resID := range resourcesOf(refs) {
		res := t.spByAppID(resID)
		g := findGrant(t, client.ID, res.ID, consentType, userID)
		if g == nil {
			g = &permissionGrant{ID: e.ids.NewID(), ClientID: client.ID, ConsentType: consentType, PrincipalID: userID, ResourceID: res.ID}
			t.Grants[g.ID] = g
		}
		scopes := strings.Fields(g.Scope)
		for _, ref := range refs {
			if ref.Resource == resID && !slices.Contains(scopes, ref.Value) {
				scopes = append(scopes, ref.Value)
			}
		}
		g.Scope = strings.Join(scopes, " ")
	}
}

func findGrant(t *tenant, clientID, resourceID, consentType, principalID string) *permissionGrant {
	for _, g := range t.Grants {
		if g.ClientID == clientID && g.ResourceID == resourceID && g.ConsentType == consentType && g.PrincipalID == principalID {
			return g
		}
	}
	return nil
}

// applyAdminConsent grants every permission of the app tenant-wide: the
// delegated ones as AllPrincipals grants, the application ones as app roles.
func (e *Emulator) applyAdminConsent(t *tenant, app *appRegistration) {
	var refs []scopeRef
	for res, names := range app.Delegated {
		for _, n := range names {
			refs = append(refs, scopeRef{Resource: res, Value: n})
		}
	}
	e.grantDelegated(t, app, refs, "AllPrincipals", "")
	sp := e.ensureSP(t, app)
	for res, roles := range app.Application {
		for _, role := range roles {
			if v := res + "/" + role; !slices.Contains(sp.AppRoles, v) {
				sp.AppRoles = append(sp.AppRoles, v)
			}
		}
	}
}

func appPermissionRefs(app *appRegistration, application bool) []scopeRef {
	src := app.Delegated
	if application {
		src = app.Application
	}
	var out []scopeRef
	for _, r := range catalogue() {
		for _, n := range src[r.AppID] {
			out = append(out, scopeRef{Resource: r.AppID, Value: n})
		}
	}
	return out
}

// answerConsent handles Accept and Cancel on a "Permissions requested" page.
func (e *Emulator) answerConsent(w http.ResponseWriter, r *http.Request, f *authFlow) {
	t, u := e.w.findUser(f.UserID)
	app := e.w.Apps[f.ClientID]
	if u == nil || app == nil {
		e.renderPage(w, "username", e.pageData(f, nil))
		return
	}
	accept := r.PostForm.Get("decision") == "accept"
	delete(e.w.Flows, f.ID)
	switch {
	case f.Kind == flowAdminConsent && !accept:
		redirectTo(w, r, f.RedirectURI, url.Values{"error": {"access_denied"},
			"error_description": {"The admin canceled the request"}, "state": {f.State}})
	case f.Kind == flowAdminConsent:
		e.applyAdminConsent(t, app)
		params := url.Values{"admin_consent": {"True"}, "tenant": {t.ID}, "state": {f.State}}
		if f.V2 {
			params.Set("scope", f.Scope)
		}
		redirectTo(w, r, f.RedirectURI, params)
	case !accept:
		redirectTo(w, r, f.RedirectURI, url.Values{"error": {"access_denied"}, "error_subcode": {"cancel"},
			"error_description": {aadDesc(65004, "User declined to consent to access the app.")}, "state": {f.State}})
	default:
		consentType := "Principal"
		if u.isAdmin() && r.PostForm.Get("org_consent") == "on" {
			consentType = "AllPrincipals"
		}
		e.grantDelegated(t, app, requestedScopes(app, f.Scope), consentType, u.ID)
		e.finishAuthorize(w, r, f, t, u)
	}
}
