package msemu

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
)

// authCode is an issued authorization code; single use, ten minutes.
type authCode struct {
	ClientID    string    `json:"client_id"`
	RedirectURI string    `json:"redirect_uri"`
	Scope       string    `json:"scope"`
	Challenge   string    `json:"challenge"`
	Method      string    `json:"method"`
	Nonce       string    `json:"nonce"`
	TenantID    string    `json:"tenant_id"`
	UserID      string    `json:"user_id"`
	Expires     time.Time `json:"expires"`
	Used        bool      `json:"used"`
}

// refreshToken is an opaque, multi-resource refresh token.
type refreshToken struct {
	ClientID string    `json:"client_id"`
	TenantID string    `json:"tenant_id"`
	UserID   string    `json:"user_id"`
	Scope    string    `json:"scope"`
	Expires  time.Time `json:"expires"`
}

// tokenResponse is the token endpoint's success body.
type tokenResponse struct {
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope"`
	ExpiresIn    int    `json:"expires_in"`
	ExtExpiresIn int    `json:"ext_expires_in"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
}

func (e *Emulator) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		e.writeAADError(w, newAAD(http.StatusBadRequest, "invalid_request", 900144,
			"The request body must contain the following parameter: 'grant_type'."))
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	resp, err := e.grant(r)
	if err != nil {
		var a *aadError
		if !errors.As(err, &a) {
			e.log.Error("msemu: token", "err", err)
			a = newAAD(http.StatusInternalServerError, "server_error", 50000, "There was an error issuing a token.")
		}
		e.writeAADError(w, a)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, resp)
}

func (e *Emulator) grant(r *http.Request) (*tokenResponse, error) {
	ref := r.PathValue("tenant")
	if !isMultiTenantAlias(ref) && e.w.findTenant(ref) == nil {
		return nil, tenantNotFound(ref)
	}
	app, err := e.authenticateClient(r)
	if err != nil {
		return nil, err
	}
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "authorization_code":
		return e.redeemCode(r, app, ref)
	case "refresh_token":
		return e.redeemRefresh(r, app, ref)
	case "client_credentials":
		return e.clientCredentials(r, app, ref)
	case "":
		return nil, newAAD(http.StatusBadRequest, "invalid_request", 900144,
			"The request body must contain the following parameter: 'grant_type'.")
	default:
		return nil, newAAD(http.StatusBadRequest, "unsupported_grant_type", 70003,
			"The app requested an unsupported grant type '%s'.", gt)
	}
}

// authenticateClient checks client_secret_basic or client_secret_post.
func (e *Emulator) authenticateClient(r *http.Request) (*appRegistration, error) {
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	app := e.w.Apps[id]
	if app == nil {
		return nil, newAAD(http.StatusBadRequest, "unauthorized_client", 700016,
			"Application with identifier '%s' was not found in the directory '%s'.", id, r.PathValue("tenant"))
	}
	if secret == "" {
		return nil, newAAD(http.StatusUnauthorized, "invalid_client", 7000218,
			"The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(app.Secret)) != 1 {
		return nil, newAAD(http.StatusUnauthorized, "invalid_client", 7000215,
			"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", app.ClientID)
	}
	return app, nil
}

func (e *Emulator) redeemCode(r *http.Request, app *appRegistration, ref string) (*tokenResponse, error) {
	c := e.w.Codes[r.PostForm.Get("code")]
	switch {
	case c == nil || c.ClientID != app.ClientID:
		return nil, newAAD(http.StatusBadRequest, "invalid_grant", 70000, "The provided value for the 'code' parameter is not valid.")
	case c.Used:
		return nil, newAAD(http.StatusBadRequest, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.")
	case e.clock.Now().After(c.Expires):
		return nil, newAAD(http.StatusBadRequest, "invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.")
	case c.RedirectURI != r.PostForm.Get("redirect_uri"):
		return nil, newAAD(http.StatusBadRequest, "invalid_grant", 500112, "The reply address '%s' does not match the reply address '%s' provided when requesting Authorization code.", r.PostForm.Get("redirect_uri"), c.RedirectURI)
	case !isMultiTenantAlias(ref) && e.w.findTenant(ref).ID != c.TenantID:
		return nil, newAAD(http.StatusBadRequest, "invalid_grant", 50020, "The code was issued for another tenant.")
	case !pkceMatches(c, r.PostForm.Get("code_verifier")):
		return nil, newAAD(http.StatusBadRequest, "invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.")
	}
	scope := r.PostForm.Get("scope")
	if strings.TrimSpace(scope) == "" {
		scope = firstResourceScope(c.Scope)
	}
	resp, err := e.delegatedTokens(app, c.TenantID, c.UserID, c.Scope, scope, c.Nonce)
	if err == nil {
		c.Used = true
	}
	return resp, err
}

func pkceMatches(c *authCode, verifier string) bool {
	if c.Challenge == "" {
		return true
	}
	if verifier == "" {
		return false
	}
	got := verifier
	if c.Method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		got = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(c.Challenge)) == 1
}

func (e *Emulator) redeemRefresh(r *http.Request, app *appRegistration, ref string) (*tokenResponse, error) {
	rt := e.w.Refresh[r.PostForm.Get("refresh_token")]
	switch {
	case rt == nil || rt.ClientID != app.ClientID:
		return nil, newAAD(http.StatusBadRequest, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
	case e.clock.Now().After(rt.Expires):
		return nil, newAAD(http.StatusBadRequest, "invalid_grant", 700082, "The refresh token has expired due to inactivity.")
	case !isMultiTenantAlias(ref) && e.w.findTenant(ref).ID != rt.TenantID:
		return nil, newAAD(http.StatusBadRequest, "invalid_grant", 50020, "The refresh token was issued for another tenant.")
	}
	scope := r.PostForm.Get("scope")
	if strings.TrimSpace(scope) == "" {
		scope = firstResourceScope(rt.Scope)
	}
	return e.delegatedTokens(app, rt.TenantID, rt.UserID, rt.Scope, scope, "")
}

// delegatedTokens issues an access token for the one resource named by
// scope, plus a refresh and id token when the sign-in asked for them.
func (e *Emulator) delegatedTokens(app *appRegistration, tid, uid, signInScope, scope, nonce string) (*tokenResponse, error) {
	t := e.w.Tenants[tid]
	u := t.Users[uid]
	if u == nil {
		return nil, newAAD(http.StatusBadRequest, "invalid_grant", 50034, "The user account does not exist in the directory.")
	}
	res, requested, err := singleResource(scope)
	if err != nil {
		return nil, err
	}
	granted := grantedScopes(t, app.ClientID, res.AppID, u.ID)
	var scp []string
	for _, s := range requested {
		if s == ".default" {
			scp = granted
			break
		}
		if slices.Contains(granted, s) {
			scp = append(scp, s)
		}
	}
	if len(scp) == 0 || len(requested) > len(scp) && !slices.Contains(requested, ".default") {
		a := newAAD(http.StatusBadRequest, "invalid_grant", 65001, "The user or administrator has not consented to use the application with ID '%s' named '%s'. Send an interactive authorization request for this user and resource.", app.ClientID, app.DisplayName)
		a.suberror = "consent_required"
		return nil, a
	}
	subj := tokenSubject{tenant: t, user: u, sp: t.spByAppID(app.ClientID), clientID: app.ClientID}
	access, err := e.accessToken(subj, res, scp, nil)
	if err != nil {
		return nil, err
	}
	resp := &tokenResponse{TokenType: "Bearer", Scope: scopeString(res, scp), ExpiresIn: int(accessTokenTTL.Seconds()),
		ExtExpiresIn: int(accessTokenTTL.Seconds()), AccessToken: access}
	oidc, _, _ := parseScopes(signInScope)
	if slices.Contains(oidc, "offline_access") {
		resp.RefreshToken = randomToken(64)
		e.w.Refresh[resp.RefreshToken] = &refreshToken{ClientID: app.ClientID, TenantID: t.ID, UserID: u.ID,
			Scope: signInScope, Expires: e.clock.Now().Add(refreshTokenTTL)}
	}
	if slices.Contains(oidc, "openid") {
		if resp.IDToken, err = e.idToken(subj, nonce); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// singleResource enforces Microsoft's rule that one token request names
// scopes of one resource; OIDC scopes alone mean Microsoft Graph.
func singleResource(scope string) (*resource, []string, error) {
	oidc, refs, bad := parseScopes(scope)
	if bad != "" {
		return nil, nil, newAAD(http.StatusBadRequest, "invalid_scope", 70011, "The provided value for the input parameter 'scope' is not valid. The scope '%s' does not exist.", bad)
	}
	resIDs := resourcesOf(refs)
	if len(resIDs) > 1 {
		return nil, nil, newAAD(http.StatusBadRequest, "invalid_scope", 28000, "Provided value for the input parameter scope is not valid because it contains more than one resource. Scope %s is not valid.", scope)
	}
	if len(resIDs) == 0 {
		return findResource(GraphAppID), oidc, nil
	}
	var values []string
	for _, r := range refs {
		values = append(values, r.Value)
	}
	return findResource(resIDs[0]), values, nil
}

func scopeString(res *resource, scp []string) string {
	if res.AppID == GraphAppID {
		return strings.Join(scp, " ")
	}
	out := make([]string, len(scp))
	for i, s := range scp {
		out[i] = res.AppID + "/" + s
	}
	return strings.Join(out, " ")
}

func (e *Emulator) clientCredentials(r *http.Request, app *appRegistration, ref string) (*tokenResponse, error) {
	if isMultiTenantAlias(ref) {
		return nil, newAAD(http.StatusBadRequest, "invalid_request", 90014, "The client credentials grant needs a tenant in the path; '%s' names none.", ref)
	}
	_, refs, bad := parseScopes(r.PostForm.Get("scope"))
	if bad != "" || len(refs) != 1 || refs[0].Value != ".default" {
		return nil, newAAD(http.StatusBadRequest, "invalid_scope", 1002012, "The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", r.PostForm.Get("scope"))
	}
	t := e.w.findTenant(ref)
	sp := t.spByAppID(app.ClientID)
	if sp == nil {
		return nil, newAAD(http.StatusBadRequest, "invalid_client", 7000229, "The client application %s is missing service principal in the tenant %s.", app.ClientID, t.ID)
	}
	res := findResource(refs[0].Resource)
	roles := sp.rolesFor(res.AppID)
	access, err := e.accessToken(tokenSubject{tenant: t, sp: sp, clientID: app.ClientID}, res, nil, roles)
	if err != nil {
		return nil, err
	}
	return &tokenResponse{TokenType: "Bearer", ExpiresIn: int(accessTokenTTL.Seconds()),
		ExtExpiresIn: int(accessTokenTTL.Seconds()), AccessToken: access}, nil
}

// firstResourceScope narrows a multi-resource sign-in scope to its first
// resource, which is what a redemption without a scope parameter gets.
func firstResourceScope(scope string) string {
	oidc, refs, _ := parseScopes(scope)
	out := oidc
	for _, r := range refs {
		if r.Resource == refs[0].Resource {
			out = append(out, r.String())
		}
	}
	return strings.Join(out, " ")
}
