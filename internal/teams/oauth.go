package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"callrec/internal/jwks"
)

// SignInScopes are asked for at sign-in: consent covers Graph and the Teams
// admin API at once; each token is then requested for one resource.
var SignInScopes = []string{"openid", "profile", "offline_access", GraphScope, TeamsAdminScope}

// Token is an access token for one resource with the refresh token that
// renews it.
type Token struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	Expiry       time.Time `json:"expiry"`
}

// Identity is what a verified id token says about the signed-in admin.
type Identity struct {
	TenantID string
	ObjectID string
	UPN      string
	Name     string
}

// OAuth signs admins in with the authorization code flow and PKCE.
type OAuth struct {
	ep   Endpoints
	hc   *http.Client
	now  func() time.Time
	mu   sync.Mutex
	keys map[string]*jwks.Set // by tenant id
}

// NewOAuth returns an OAuth client; now is the clock used for expiry.
func NewOAuth(ep Endpoints, hc *http.Client, now func() time.Time) *OAuth {
	hc = orDefault(hc)
	if now == nil {
		now = time.Now
	}
	return &OAuth{ep: ep, hc: hc, now: now, keys: map[string]*jwks.Set{}}
}

func (o *OAuth) config(tenant string, scopes []string) *oauth2.Config {
	base := strings.TrimRight(o.ep.LoginURL, "/") + "/" + url.PathEscape(tenant)
	return &oauth2.Config{ClientID: o.ep.ClientID, ClientSecret: o.ep.ClientSecret, RedirectURL: o.ep.RedirectURL, Scopes: scopes,
		Endpoint: oauth2.Endpoint{AuthURL: base + "/oauth2/v2.0/authorize", TokenURL: base + "/oauth2/v2.0/token", AuthStyle: oauth2.AuthStyleInParams}}
}

// AuthorizeURL is where the admin signs in. tenant is "organizations" for
// the first sign-in or the tenant id afterwards; prompt may be
// "select_account" so the admin can pick the right account.
func (o *OAuth) AuthorizeURL(tenant, state, verifier, loginHint string) string {
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("response_mode", "query"),
		oauth2.SetAuthURLParam("prompt", "select_account")}
	if loginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", loginHint))
	}
	return o.config(tenant, SignInScopes).AuthCodeURL(state, opts...)
}

// AdminConsentURL asks a Global Administrator for tenant-wide consent.
func (o *OAuth) AdminConsentURL(tenantID, state string) string {
	q := url.Values{"client_id": {o.ep.ClientID}, "redirect_uri": {o.ep.RedirectURL}, "state": {state},
		"scope": {GraphScope}}
	return strings.TrimRight(o.ep.LoginURL, "/") + "/" + url.PathEscape(tenantID) + "/v2.0/adminconsent?" + q.Encode()
}

// Exchange redeems an authorization code for a Graph token, verifies the id
// token that comes with it, and returns both.
func (o *OAuth) Exchange(ctx context.Context, code, verifier string) (Token, Identity, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, o.hc)
	t, err := o.config("organizations", []string{"openid", "profile", "offline_access", GraphScope}).Exchange(ctx, code,
		oauth2.VerifierOption(verifier), oauth2.SetAuthURLParam("scope", "openid profile offline_access "+GraphScope))
	if err != nil {
		return Token{}, Identity{}, fmt.Errorf("teams: redeem code: %w", describeOAuthError(err))
	}
	raw, _ := t.Extra("id_token").(string)
	if raw == "" {
		return Token{}, Identity{}, errors.New("teams: the sign-in returned no id token")
	}
	id, err := o.VerifyIDToken(ctx, raw)
	if err != nil {
		return Token{}, Identity{}, err
	}
	return Token{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, Expiry: expiryOn(o.now, t)}, id, nil
}

// expiryOn restates a token's expiry on the clock now: x/oauth2 stamps it
// from the wall clock (time.Now plus expires_in), while callrec decides
// when to renew on its own clock, which tests run apart from the wall
// clock. A token without an expiry keeps none.
func expiryOn(now func() time.Time, t *oauth2.Token) time.Time {
	if t.Expiry.IsZero() {
		return time.Time{}
	}
	return now().Add(time.Until(t.Expiry))
}

// describeOAuthError keeps Microsoft's error code and description, which
// the admin needs to see ("AADSTS65001: …").
func describeOAuthError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return &APIError{Status: re.Response.StatusCode, Code: re.ErrorCode, Message: re.ErrorDescription}
	}
	return err
}

// Refresh gets an access token for the resource named by scope. x/oauth2
// cannot choose the resource when refreshing, which Microsoft needs (one
// resource per token), so this request is made by hand.
func (o *OAuth) Refresh(ctx context.Context, tenantID, refreshToken, scope string) (Token, error) {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}, "scope": {scope + " offline_access"},
		"client_id": {o.ep.ClientID}, "client_secret": {o.ep.ClientSecret}}
	endpoint := o.config(tenantID, nil).Endpoint.TokenURL
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return Token{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := o.hc.Do(req)
	if err != nil {
		return Token{}, &APIError{Status: http.StatusServiceUnavailable, Code: "unreachable", Message: err.Error()}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	var body struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		ExpiresIn    int    `json:"expires_in"`
		Error        string `json:"error"`
		Description  string `json:"error_description"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		return Token{}, &APIError{Status: resp.StatusCode, Code: "invalid_answer", Message: "token endpoint answered " + resp.Status}
	}
	if resp.StatusCode != http.StatusOK || body.AccessToken == "" {
		ae := parseError(resp, raw)
		ae.Code, ae.Message = body.Error, body.Description
		return Token{}, ae
	}
	t := Token{AccessToken: body.AccessToken, RefreshToken: body.RefreshToken, Expiry: o.now().Add(time.Duration(body.ExpiresIn) * time.Second)}
	if t.RefreshToken == "" {
		t.RefreshToken = refreshToken
	}
	return t, nil
}

// VerifyIDToken checks an id token's RS256 signature against the tenant's
// published keys, its issuer, audience and expiry, and returns who signed in.
func (o *OAuth) VerifyIDToken(ctx context.Context, raw string) (Identity, error) {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return Identity{}, fmt.Errorf("teams: id token: %w", err)
	}
	var unverified struct {
		TID string `json:"tid"`
	}
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil || unverified.TID == "" {
		return Identity{}, errors.New("teams: id token has no tenant")
	}
	kid := ""
	if len(tok.Headers) > 0 {
		kid = tok.Headers[0].KeyID
	}
	keys, err := o.jwks(ctx, unverified.TID, kid)
	if err != nil {
		return Identity{}, err
	}
	var std jwt.Claims
	var ms struct {
		TID  string `json:"tid"`
		OID  string `json:"oid"`
		UPN  string `json:"upn"`
		PUN  string `json:"preferred_username"`
		Name string `json:"name"`
	}
	if err := tok.Claims(keys, &std, &ms); err != nil {
		return Identity{}, fmt.Errorf("teams: id token signature: %w", err)
	}
	want := jwt.Expected{Issuer: strings.TrimRight(o.ep.LoginURL, "/") + "/" + ms.TID + "/v2.0", AnyAudience: jwt.Audience{o.ep.ClientID}, Time: o.now()}
	if err := std.ValidateWithLeeway(want, time.Minute); err != nil {
		return Identity{}, fmt.Errorf("teams: id token: %w", err)
	}
	upn := ms.UPN
	if upn == "" {
		upn = ms.PUN
	}
	return Identity{TenantID: ms.TID, ObjectID: ms.OID, UPN: upn, Name: ms.Name}, nil
}

// jwks is the key set of a tenant, fetched and kept fresh by jwks.Set.
// At most maxTenantKeySets are kept: an id token names its tenant before
// it is verified.
func (o *OAuth) jwks(ctx context.Context, tid string, kid string) (*jose.JSONWebKeySet, error) {
	o.mu.Lock()
	set := o.keys[tid]
	if set == nil {
		if len(o.keys) >= maxTenantKeySets {
			clear(o.keys)
		}
		u := strings.TrimRight(o.ep.LoginURL, "/") + "/" + url.PathEscape(tid) + "/discovery/v2.0/keys"
		set = jwks.New(jwks.FromURL(o.hc, u), o.now)
		o.keys[tid] = set
	}
	o.mu.Unlock()
	return set.Keys(ctx, kid)
}

const maxTenantKeySets = 1000
