package msemu

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

func oauthConfig(h *harness, tenant string, scopes ...string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: CallrecClientID, ClientSecret: CallrecSecret, RedirectURL: testRedirect, Scopes: scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:  h.srv.URL + "/" + tenant + "/oauth2/v2.0/authorize",
			TokenURL: h.srv.URL + "/" + tenant + "/oauth2/v2.0/token",
		},
	}
}

// authorize runs the browser part of the code flow and returns the code.
func authorize(t *testing.T, h *harness, conf *oauth2.Config, verifier, upn, pw string) string {
	t.Helper()
	b := newBrowser(t)
	_, page := b.Get(conf.AuthCodeURL("st-1", oauth2.S256ChallengeOption(verifier)))
	if !strings.Contains(page, "Sign in") {
		t.Fatalf("want sign-in page, got %s", page)
	}
	res, page := b.signIn(page, upn, pw)
	if res.StatusCode == http.StatusOK {
		res = b.decide(page, "accept")
	}
	q := redirectParams(t, res)
	if q.Get("state") != "st-1" || q.Get("code") == "" {
		t.Fatalf("redirect params %v", q)
	}
	return q.Get("code")
}

func TestOAuth2AuthorizationCodeFlow(t *testing.T) {
	h := newHarness(t, 0)
	ctx := context.Background()
	conf := oauthConfig(h, "organizations", "openid", "profile", "offline_access", "https://graph.microsoft.com/.default",
		TeamsAdminAppID+"/.default")
	verifier := oauth2.GenerateVerifier()
	code := authorize(t, h, conf, verifier, "AdeleV@"+ContosoDomain, AdminPassword)

	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if tok.RefreshToken == "" || tok.Extra("id_token") == nil {
		t.Fatalf("want refresh and id token, got %+v", tok)
	}
	claims := verifyWithJWKS(t, h, tok.AccessToken)
	if claims["tid"] != ContosoTenantID || claims["aud"] != GraphResource || claims["iss"] != h.srv.URL+"/"+ContosoTenantID+"/v2.0" {
		t.Errorf("access token claims %v", claims)
	}
	if !strings.Contains(claims["scp"].(string), "Group.ReadWrite.All") || claims["upn"] != "AdeleV@"+ContosoDomain {
		t.Errorf("scp/upn %v %v", claims["scp"], claims["upn"])
	}
	idc := verifyWithJWKS(t, h, tok.Extra("id_token").(string))
	if idc["aud"] != CallrecClientID || idc["preferred_username"] != "AdeleV@"+ContosoDomain {
		t.Errorf("id token claims %v", idc)
	}
	var org struct{ Value []map[string]any }
	if res := h.call("GET", "/v1.0/organization", tok.AccessToken, nil, &org); res.StatusCode != 200 || org.Value[0]["id"] != ContosoTenantID {
		t.Fatalf("organization: %d %v", res.StatusCode, org)
	}

	// The code is single use.
	_, err = conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	wantAADError(t, err, "invalid_grant", "AADSTS54005")

	// The refresh token serves another resource: the Teams admin API.
	var teams tokenResponse
	h.form(ContosoTenantID+"/oauth2/v2.0/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {CallrecClientID},
		"client_secret": {CallrecSecret}, "refresh_token": {tok.RefreshToken}, "scope": {TeamsAdminAppID + "/.default"}}, &teams)
	if c := verifyWithJWKS(t, h, teams.AccessToken); c["aud"] != TeamsAdminAppID || c["scp"] != "user_impersonation" {
		t.Fatalf("teams token claims %v", c)
	}
	// And x/oauth2's own refresh works once the access token expires
	// (x/oauth2 judges expiry by the real clock, so the test backdates it).
	h.clock.Advance(2 * time.Hour)
	tok.Expiry = time.Now().Add(-time.Minute)
	fresh, err := conf.TokenSource(ctx, tok).Token()
	if err != nil || fresh.AccessToken == tok.AccessToken {
		t.Fatalf("refresh: %v", err)
	}
}

func wantAADError(t *testing.T, err error, code, aadsts string) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("want RetrieveError, got %v", err)
	}
	if re.ErrorCode != code || !strings.HasPrefix(re.ErrorDescription, aadsts+":") {
		t.Fatalf("want %s %s, got %s %q", code, aadsts, re.ErrorCode, re.ErrorDescription)
	}
}

// verifyWithJWKS checks a token's signature with the published JWKS, as a
// relying party would.
func verifyWithJWKS(t *testing.T, h *harness, raw string) jwt.MapClaims {
	t.Helper()
	var cfg struct {
		JWKS string `json:"jwks_uri"`
	}
	h.call("GET", "/"+ContosoTenantID+"/v2.0/.well-known/openid-configuration", "", nil, &cfg)
	var set struct{ Keys []struct{ Kid, N, E string } }
	res, err := http.Get(cfg.JWKS)
	if err != nil {
		t.Fatal(err)
	}
	decodeInto(t, res, &set)
	claims := jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(raw, claims, func(tok *jwt.Token) (any, error) {
		for _, k := range set.Keys {
			if k.Kid == tok.Header["kid"] {
				n, _ := base64.RawURLEncoding.DecodeString(k.N)
				e, _ := base64.RawURLEncoding.DecodeString(k.E)
				return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, nil
			}
		}
		return nil, errors.New("unknown kid")
	}, jwt.WithTimeFunc(h.clock.Now))
	if err != nil {
		t.Fatalf("verify token: %v", err)
	}
	return claims
}

func TestOAuth2ClientCredentialsFlow(t *testing.T) {
	h := newHarness(t, 0)
	cc := clientcredentials.Config{ClientID: CallrecClientID, ClientSecret: CallrecSecret,
		TokenURL: h.srv.URL + "/" + ContosoTenantID + "/oauth2/v2.0/token", Scopes: []string{"https://graph.microsoft.com/.default"}}
	_, err := cc.Token(context.Background())
	wantAADError(t, err, "invalid_client", "AADSTS7000229")

	b := newBrowser(t)
	_, page := b.Get(h.srv.URL + "/organizations/v2.0/adminconsent?client_id=" + CallrecClientID +
		"&scope=" + url.QueryEscape("https://graph.microsoft.com/.default") + "&redirect_uri=" + url.QueryEscape(testRedirect) + "&state=s2")
	_, page = b.signIn(page, "AdeleV@"+ContosoDomain, AdminPassword)
	if !strings.Contains(page, "Access media streams in a call as an app") {
		t.Fatalf("consent page lacks application permissions: %s", page)
	}
	q := redirectParams(t, b.decide(page, "accept"))
	want := url.Values{"admin_consent": {"True"}, "tenant": {ContosoTenantID}, "state": {"s2"}, "scope": {"https://graph.microsoft.com/.default"}}
	if q.Encode() != want.Encode() {
		t.Fatalf("admin consent redirect %v, want %v", q, want)
	}

	tok, err := cc.Token(context.Background())
	if err != nil {
		t.Fatalf("client credentials: %v", err)
	}
	c := verifyWithJWKS(t, h, tok.AccessToken)
	if c["idtyp"] != "app" || !strings.Contains(strings.Join(strList(c["roles"]), " "), "Calls.AccessMedia.All") {
		t.Fatalf("app token claims %v", c)
	}
	if res := h.call("GET", "/v1.0/users?$top=2", tok.AccessToken, nil, nil); res.StatusCode != 200 {
		t.Fatalf("app-only users list: %d", res.StatusCode)
	}
	var e errBody
	res := h.call("POST", "/v1.0/groups", tok.AccessToken, map[string]any{"displayName": "x", "mailNickname": "x", "mailEnabled": false, "securityEnabled": true}, &e)
	if res.StatusCode != 403 || e.Error.Code != "Authorization_RequestDenied" {
		t.Fatalf("read-only app creating a group: %d %v", res.StatusCode, e)
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	h := newHarness(t, 0)
	conf := oauthConfig(h, "organizations", "openid", "offline_access", "https://graph.microsoft.com/.default")
	tests := []struct {
		name   string
		form   func(code string) url.Values
		status int
		err    string
		aadsts string
	}{
		{"wrong secret", func(c string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "client_id": {CallrecClientID}, "client_secret": {"nope"}, "redirect_uri": {testRedirect}, "code_verifier": {"v"}}
		}, 401, "invalid_client", "AADSTS7000215"},
		{"missing secret", func(c string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "client_id": {CallrecClientID}}
		}, 401, "invalid_client", "AADSTS7000218"},
		{"pkce mismatch", func(c string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "client_id": {CallrecClientID}, "client_secret": {CallrecSecret}, "redirect_uri": {testRedirect}, "code_verifier": {"wrong-verifier-wrong-verifier-wrong-verifier-xx"}}
		}, 400, "invalid_grant", "AADSTS501481"},
		{"redirect mismatch", func(c string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "client_id": {CallrecClientID}, "client_secret": {CallrecSecret}, "redirect_uri": {"http://callrec.test/other"}}
		}, 400, "invalid_grant", "AADSTS500112"},
		{"two resources", func(c string) url.Values {
			return url.Values{"grant_type": {"client_credentials"}, "client_id": {CallrecClientID}, "client_secret": {CallrecSecret}, "scope": {"https://graph.microsoft.com/.default " + TeamsAdminAppID + "/.default"}}
		}, 400, "invalid_scope", "AADSTS1002012"},
		{"client credentials without .default", func(c string) url.Values {
			return url.Values{"grant_type": {"client_credentials"}, "client_id": {CallrecClientID}, "client_secret": {CallrecSecret}, "scope": {"User.Read.All"}}
		}, 400, "invalid_scope", "AADSTS1002012"},
		{"unknown grant", func(c string) url.Values {
			return url.Values{"grant_type": {"password"}, "client_id": {CallrecClientID}, "client_secret": {CallrecSecret}}
		}, 400, "unsupported_grant_type", "AADSTS70003"},
		{"unknown client", func(c string) url.Values {
			return url.Values{"grant_type": {"client_credentials"}, "client_id": {"nobody"}, "client_secret": {"x"}}
		}, 400, "unauthorized_client", "AADSTS700016"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code := authorize(t, h, conf, oauth2.GenerateVerifier(), "AdeleV@"+ContosoDomain, AdminPassword)
			var body struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
				Codes       []int  `json:"error_codes"`
				TraceID     string `json:"trace_id"`
			}
			res := h.form(ContosoTenantID+"/oauth2/v2.0/token", tc.form(code), &body)
			if res.StatusCode != tc.status || body.Error != tc.err || !strings.HasPrefix(body.Description, tc.aadsts+":") || len(body.Codes) != 1 || body.TraceID == "" {
				t.Fatalf("got %d %+v", res.StatusCode, body)
			}
		})
	}
}

func TestTokenMultiResourceAndExpiredCode(t *testing.T) {
	h := newHarness(t, 0)
	conf := oauthConfig(h, "organizations", "openid", "offline_access", "https://graph.microsoft.com/.default")
	verifier := oauth2.GenerateVerifier()
	code := authorize(t, h, conf, verifier, "AdeleV@"+ContosoDomain, AdminPassword)
	multi := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {CallrecClientID}, "client_secret": {CallrecSecret},
		"redirect_uri": {testRedirect}, "code_verifier": {verifier}, "scope": {"https://graph.microsoft.com/.default " + TeamsAdminAppID + "/.default"}}
	var body struct{ Error, ErrorDescription string }
	h.form(ContosoTenantID+"/oauth2/v2.0/token", multi, &body)
	if !strings.Contains(body.Error, "invalid_scope") {
		t.Fatalf("multi-resource: %+v", body)
	}
	h.clock.Advance(11 * time.Minute)
	_, err := conf.Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
	wantAADError(t, err, "invalid_grant", "AADSTS70008")
}

func TestAuthorizeConsentOutcomes(t *testing.T) {
	h := newHarness(t, 0)
	conf := oauthConfig(h, "organizations", "openid", TeamsAdminAppID+"/user_impersonation")

	t.Run("cancel", func(t *testing.T) {
		b := newBrowser(t)
		_, page := b.Get(conf.AuthCodeURL("s"))
		_, page = b.signIn(page, "LeeG@"+ContosoDomain, AdminPassword)
		q := redirectParams(t, b.decide(page, "cancel"))
		if q.Get("error") != "access_denied" || !strings.HasPrefix(q.Get("error_description"), "AADSTS65004") {
			t.Fatalf("%v", q)
		}
	})
	t.Run("ordinary user needs admin approval", func(t *testing.T) {
		b := newBrowser(t)
		_, page := b.Get(conf.AuthCodeURL("s"))
		_, page = b.signIn(page, "AlexW@"+ContosoDomain, UserPassword)
		if !strings.Contains(page, "Need admin approval") {
			t.Fatalf("%s", page)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		b := newBrowser(t)
		_, page := b.Get(conf.AuthCodeURL("s"))
		_, page = b.signIn(page, "AdeleV@"+ContosoDomain, "guess")
		if !strings.Contains(page, "Your account or password is incorrect") {
			t.Fatalf("%s", page)
		}
	})
	t.Run("unregistered redirect uri shows an error page", func(t *testing.T) {
		bad := *conf
		bad.RedirectURL = "https://evil.example/cb"
		res, page := newBrowser(t).Get(bad.AuthCodeURL("s"))
		if res.StatusCode != 400 || !strings.Contains(page, "AADSTS50011") {
			t.Fatalf("%d %s", res.StatusCode, page)
		}
	})
	t.Run("user of another tenant", func(t *testing.T) {
		other := oauthConfig(h, FabrikamTenantID, "openid")
		b := newBrowser(t)
		_, page := b.Get(other.AuthCodeURL("s"))
		res, page := b.signIn(page, "AdeleV@"+ContosoDomain, AdminPassword)
		if res.StatusCode != 400 || !strings.Contains(page, "AADSTS50020") {
			t.Fatalf("%d %s", res.StatusCode, page)
		}
	})
}

func TestAdminConsentOutcomes(t *testing.T) {
	h := newHarness(t, 0)
	v1 := h.srv.URL + "/common/adminconsent?client_id=" + CallrecClientID + "&state=s9&redirect_uri=" + url.QueryEscape(testRedirect)
	tests := []struct {
		name, upn, pw, decision string
		want                    url.Values
	}{
		{"accept", "AdeleV@" + ContosoDomain, AdminPassword, "accept",
			url.Values{"admin_consent": {"True"}, "tenant": {ContosoTenantID}, "state": {"s9"}}},
		{"cancel", "AdeleV@" + ContosoDomain, AdminPassword, "cancel",
			url.Values{"error": {"access_denied"}, "error_description": {"The admin canceled the request"}, "state": {"s9"}}},
		{"not an admin", "AlexW@" + ContosoDomain, UserPassword, "",
			url.Values{"admin_consent": {"True"}, "error": {"consent_required"}, "error_description": {"AADSTS90094: The grant requires admin permission."}, "state": {"s9"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(t)
			_, page := b.Get(v1)
			res, page := b.signIn(page, tc.upn, tc.pw)
			if tc.decision != "" {
				res = b.decide(page, tc.decision)
			}
			if q := redirectParams(t, res); q.Encode() != tc.want.Encode() {
				t.Fatalf("got %v want %v", q, tc.want)
			}
		})
	}
	// Consent created the service principal and grants, visible in Graph.
	tok := h.delegated("AdeleV@"+ContosoDomain, "Application.Read.All")
	var sps struct{ Value []map[string]any }
	h.call("GET", "/v1.0/servicePrincipals?$filter="+url.QueryEscape("appId eq '"+CallrecClientID+"'"), tok, nil, &sps)
	if len(sps.Value) != 1 {
		t.Fatalf("service principal: %v", sps)
	}
}

func TestOpenIDConfiguration(t *testing.T) {
	h := newHarness(t, 0)
	var cfg map[string]any
	res := h.call("GET", "/"+ContosoDomain+"/v2.0/.well-known/openid-configuration", "", nil, &cfg)
	if res.StatusCode != 200 || cfg["issuer"] != h.srv.URL+"/"+ContosoTenantID+"/v2.0" {
		t.Fatalf("%d %v", res.StatusCode, cfg)
	}
	var e map[string]any
	if res := h.call("GET", "/nosuch.example/v2.0/.well-known/openid-configuration", "", nil, &e); res.StatusCode != 400 || !strings.HasPrefix(e["error_description"].(string), "AADSTS90002") {
		t.Fatalf("%d %v", res.StatusCode, e)
	}
}
