package msemu

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// authFlow is one interactive sign-in in progress: an authorize request or
// an admin consent request, carried through the pages by its id.
type authFlow struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"` // flowAuthorize or flowAdminConsent
	V2          bool      `json:"v2"`
	PathTenant  string    `json:"path_tenant"`
	ClientID    string    `json:"client_id"`
	RedirectURI string    `json:"redirect_uri"`
	State       string    `json:"state"`
	Scope       string    `json:"scope"`
	Challenge   string    `json:"challenge"`
	Method      string    `json:"method"`
	Nonce       string    `json:"nonce"`
	Prompt      string    `json:"prompt"`
	UserID      string    `json:"user_id"`
	Expires     time.Time `json:"expires"`
}

const (
	flowAuthorize    = "authorize"
	flowAdminConsent = "adminconsent"
	sessionCookie    = "ESTSAUTH"
	flowTTL          = time.Hour
)

func isMultiTenantAlias(ref string) bool {
	return ref == "common" || ref == "organizations"
}

// checkClient validates the path tenant, client id and redirect URI; these
// errors are shown on a page because the redirect URI cannot be trusted.
func (e *Emulator) checkClient(ref, clientID, redirect string) (*appRegistration, *aadError) {
	if !isMultiTenantAlias(ref) && e.w.findTenant(ref) == nil {
		return nil, tenantNotFound(ref)
	}
	app := e.w.Apps[clientID]
	if app == nil {
		return nil, newAAD(http.StatusBadRequest, "unauthorized_client", 700016,
			"Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID, ref)
	}
	if redirect == "" || !app.allowsRedirect(redirect) {
		return nil, newAAD(http.StatusBadRequest, "invalid_request", 50011,
			"The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.", redirect, clientID)
	}
	return app, nil
}

func (e *Emulator) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	e.mu.Lock()
	defer e.mu.Unlock()
	_, aerr := e.checkClient(r.PathValue("tenant"), q.Get("client_id"), q.Get("redirect_uri"))
	if aerr != nil {
		e.renderError(w, aerr)
		return
	}
	redirect, state := q.Get("redirect_uri"), q.Get("state")
	fail := func(oauthErr string, code int, desc string) {
		redirectTo(w, r, redirect, url.Values{"error": {oauthErr},
			"error_description": {aadDesc(code, desc)}, "state": {state}})
	}
	if q.Get("response_type") != "code" {
		fail("unsupported_response_type", 700054, "response_type '"+q.Get("response_type")+"' is not enabled for the application.")
		return
	}
	if m := q.Get("response_mode"); m != "" && m != "query" {
		fail("invalid_request", 900144, "The emulator answers response_mode=query only.")
		return
	}
	if _, _, bad := parseScopes(q.Get("scope")); bad != "" || strings.TrimSpace(q.Get("scope")) == "" {
		fail("invalid_scope", 70011, "The provided value for the input parameter 'scope' is not valid. The scope '"+bad+"' does not exist.")
		return
	}
	method := q.Get("code_challenge_method")
	if q.Get("code_challenge") != "" && method == "" {
		method = "plain"
	}
	if method != "" && method != "S256" && method != "plain" {
		fail("invalid_request", 501491, "Invalid code_challenge_method: '"+method+"'.")
		return
	}
	f := &authFlow{
		Kind: flowAuthorize, PathTenant: r.PathValue("tenant"), ClientID: q.Get("client_id"),
		RedirectURI: redirect, State: state, Scope: q.Get("scope"), Challenge: q.Get("code_challenge"),
		Method: method, Nonce: q.Get("nonce"), Prompt: q.Get("prompt"),
	}
	e.startFlow(w, r, f)
}

// startFlow stores the flow and shows its first page.
func (e *Emulator) startFlow(w http.ResponseWriter, r *http.Request, f *authFlow) {
	now := e.clock.Now()
	for id, old := range e.w.Flows {
		if now.After(old.Expires) {
			delete(e.w.Flows, id)
		}
	}
	f.ID = randomToken(24)
	f.Expires = now.Add(flowTTL)
	e.w.Flows[f.ID] = f
	if accounts := e.sessionAccounts(r); len(accounts) > 0 && f.Prompt != "login" {
		e.renderPage(w, "pick", e.pageData(f, func(d *pageData) { d.Accounts = accounts }))
		return
	}
	e.renderPage(w, "username", e.pageData(f, nil))
}

// signIn handles the form posts of the sign-in and consent pages.
func (e *Emulator) signIn(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "malformed form", http.StatusBadRequest)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	f := e.w.Flows[r.PostForm.Get("flow")]
	if f == nil || e.clock.Now().After(f.Expires) {
		e.renderError(w, newAAD(http.StatusBadRequest, "invalid_request", 50058,
			"Your sign-in session has expired or is not known. Start again from the application."))
		return
	}
	switch r.PostForm.Get("step") {
	case "pick":
		e.pickAccount(w, r, f)
	case "another":
		e.renderPage(w, "username", e.pageData(f, nil))
	case "username":
		e.enterUsername(w, r, f)
	case "password":
		e.enterPassword(w, r, f)
	case "consent":
		e.answerConsent(w, r, f)
	default:
		http.Error(w, "unknown sign-in step", http.StatusBadRequest)
	}
}

func (e *Emulator) pickAccount(w http.ResponseWriter, r *http.Request, f *authFlow) {
	id := r.PostForm.Get("account")
	if !slices.Contains(e.sessionUserIDs(r), id) {
		e.renderPage(w, "username", e.pageData(f, nil))
		return
	}
	f.UserID = id
	e.proceed(w, r, f)
}

func (e *Emulator) enterUsername(w http.ResponseWriter, r *http.Request, f *authFlow) {
	name := strings.TrimSpace(r.PostForm.Get("loginfmt"))
	if _, u := e.w.findUserByUPN(name); u == nil || u.ResourceAccount {
		e.renderPage(w, "username", e.pageData(f, func(d *pageData) {
			d.Username = name
			d.Error = "This username may be incorrect. Make sure you typed it correctly. Otherwise, contact your admin."
		}))
		return
	}
	e.renderPage(w, "password", e.pageData(f, func(d *pageData) { d.Username = name }))
}

func (e *Emulator) enterPassword(w http.ResponseWriter, r *http.Request, f *authFlow) {
	name := strings.TrimSpace(r.PostForm.Get("loginfmt"))
	_, u := e.w.findUserByUPN(name)
	if u == nil || u.ResourceAccount || u.Password != r.PostForm.Get("passwd") {
		e.renderPage(w, "password", e.pageData(f, func(d *pageData) {
			d.Username = name
			d.Error = "Your account or password is incorrect. If you don't remember your password, reset it now."
		}))
		return
	}
	e.addSessionAccount(w, r, u.ID)
	f.UserID = u.ID
	e.proceed(w, r, f)
}

// proceed runs once the user is known: tenant check, then consent or code.
func (e *Emulator) proceed(w http.ResponseWriter, r *http.Request, f *authFlow) {
	t, u := e.w.findUser(f.UserID)
	if u == nil {
		e.renderPage(w, "username", e.pageData(f, nil))
		return
	}
	if !isMultiTenantAlias(f.PathTenant) && e.w.findTenant(f.PathTenant) != t {
		e.renderError(w, newAAD(http.StatusBadRequest, "invalid_request", 50020,
			"User account '%s' from identity provider 'https://sts.windows.net/%s/' does not exist in tenant '%s' and cannot access the application '%s' in that tenant.",
			u.UPN, t.ID, f.PathTenant, f.ClientID))
		return
	}
	if f.Kind == flowAdminConsent {
		e.proceedAdminConsent(w, r, f, t, u)
		return
	}
	app := e.w.Apps[f.ClientID]
	needed := e.missingScopes(t, app, u, f)
	if len(needed) == 0 {
		e.finishAuthorize(w, r, f, t, u)
		return
	}
	if !u.isAdmin() && needsAdmin(needed) {
		e.renderPage(w, "needadmin", e.pageData(f, func(d *pageData) { d.User = u }))
		return
	}
	e.renderPage(w, "consent", e.pageData(f, func(d *pageData) {
		d.User, d.Permissions, d.CanConsentForOrg = u, permissionLines(needed, false), u.isAdmin()
	}))
}

func (e *Emulator) finishAuthorize(w http.ResponseWriter, r *http.Request, f *authFlow, t *tenant, u *user) {
	code := randomToken(48)
	e.w.Codes[code] = &authCode{
		ClientID: f.ClientID, RedirectURI: f.RedirectURI, Scope: f.Scope, Challenge: f.Challenge,
		Method: f.Method, Nonce: f.Nonce, TenantID: t.ID, UserID: u.ID,
		Expires: e.clock.Now().Add(authCodeTTL),
	}
	delete(e.w.Flows, f.ID)
	redirectTo(w, r, f.RedirectURI, url.Values{"code": {code}, "state": {f.State}, "session_state": {e.ids.NewID()}})
}

// redirectTo sends the browser back to the client with params appended.
func redirectTo(w http.ResponseWriter, r *http.Request, target string, params url.Values) {
	u, err := url.Parse(target)
	if err != nil {
		http.Error(w, "bad redirect uri", http.StatusBadRequest)
		return
	}
	q := u.Query()
	for k, vs := range params {
		if len(vs) == 1 && vs[0] == "" && k == "state" {
			continue
		}
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func aadDesc(code int, desc string) string {
	return "AADSTS" + strconv.Itoa(code) + ": " + desc
}
