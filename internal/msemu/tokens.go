package msemu

import (
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token lifetimes as Microsoft issues them.
const (
	accessTokenTTL  = 3599 * time.Second
	refreshTokenTTL = 90 * 24 * time.Hour
	authCodeTTL     = 10 * time.Minute
)

func keyID(pub *rsa.PublicKey) string {
	sum := sha1.Sum(pub.N.Bytes())
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// issuer is the v2.0 issuer of a tenant, under the configured login URL.
func (e *Emulator) issuer(tid string) string {
	return e.opts.BaseURL + "/" + tid + "/v2.0"
}

func (e *Emulator) sign(claims jwt.MapClaims) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = e.kid
	tok.Header["x5t"] = e.kid
	s, err := tok.SignedString(e.key)
	if err != nil {
		return "", fmt.Errorf("msemu: sign token: %w", err)
	}
	return s, nil
}

// tokenSubject is who a token speaks for: a user (delegated) or an app.
type tokenSubject struct {
	tenant   *tenant
	user     *user             // nil for app-only
	sp       *servicePrincipal // the client's service principal in the tenant
	clientID string
}

func (e *Emulator) baseClaims(s tokenSubject, aud string) jwt.MapClaims {
	now := e.clock.Now()
	return jwt.MapClaims{
		"aud": aud, "iss": e.issuer(s.tenant.ID), "tid": s.tenant.ID,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(accessTokenTTL).Unix(),
		"azp": s.clientID, "appid": s.clientID, "azpacr": "1", "appidacr": "1",
		"ver": "2.0", "uti": e.ids.NewID(),
	}
}

// accessToken mints a delegated token (scp) or, without a user, an app-only
// token (roles).
func (e *Emulator) accessToken(s tokenSubject, res *resource, scopes, roles []string) (string, error) {
	c := e.baseClaims(s, res.Audience)
	if s.user != nil {
		c["oid"], c["sub"] = s.user.ID, s.user.ID
		c["upn"], c["preferred_username"] = s.user.UPN, s.user.UPN
		c["name"] = s.user.DisplayName
		c["scp"] = strings.Join(scopes, " ")
		c["idtyp"] = "user"
		c["wids"] = append([]string{}, s.user.Roles...)
	} else {
		c["oid"], c["sub"] = s.sp.ID, s.sp.ID
		c["roles"] = roles
		c["idtyp"] = "app"
	}
	return e.sign(c)
}

func (e *Emulator) idToken(s tokenSubject, nonce string) (string, error) {
	now := e.clock.Now()
	c := jwt.MapClaims{
		"aud": s.clientID, "iss": e.issuer(s.tenant.ID), "tid": s.tenant.ID,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"oid": s.user.ID, "sub": pairwiseSub(s.user.ID, s.clientID),
		"preferred_username": s.user.UPN, "name": s.user.DisplayName, "ver": "2.0",
	}
	if nonce != "" {
		c["nonce"] = nonce
	}
	return e.sign(c)
}

// pairwiseSub mirrors Microsoft's per-app subject in id tokens.
func pairwiseSub(oid, clientID string) string {
	sum := sha256.Sum256([]byte(oid + "|" + clientID))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// principal is a verified bearer token.
type principal struct {
	TenantID string
	UserID   string // empty for app-only
	AppID    string
	Scopes   []string
	Roles    []string
	Wids     []string
}

func (p *principal) appOnly() bool { return p.UserID == "" }

// verify checks signature, lifetime and audience of a bearer token.
func (e *Emulator) verify(r *http.Request, audiences ...string) (*principal, error) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(raw) == "" {
		return nil, errNoToken
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, e.verificationKey,
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(e.clock.Now), jwt.WithExpirationRequired())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadToken, err)
	}
	aud, _ := claims["aud"].(string)
	if !slices.Contains(audiences, aud) {
		return nil, errWrongAudience
	}
	p := &principal{AppID: str(claims["appid"])}
	p.TenantID = str(claims["tid"])
	if str(claims["idtyp"]) == "user" {
		p.UserID = str(claims["oid"])
	}
	p.Scopes = strings.Fields(str(claims["scp"]))
	p.Roles = strList(claims["roles"])
	p.Wids = strList(claims["wids"])
	return p, nil
}

var (
	errNoToken       = fmt.Errorf("msemu: no bearer token")
	errBadToken      = fmt.Errorf("msemu: invalid token")
	errWrongAudience = fmt.Errorf("msemu: wrong audience")
)

func str(v any) string {
	s, _ := v.(string)
	return s
}

func strList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// hasAny reports whether the token holds one of the permissions, as a
// delegated scope or an application role.
func (p *principal) hasAny(perms ...string) bool {
	for _, want := range perms {
		if slices.Contains(p.Scopes, want) || slices.Contains(p.Roles, want) {
			return true
		}
	}
	return false
}

// jwks publishes the current signing key and the retired ones still in
// their overlap, as Microsoft publishes several keys around a rollover.
func (e *Emulator) jwks(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	pubs := []*rsa.PublicKey{&e.key.PublicKey}
	for _, k := range e.retired {
		pubs = append(pubs, &k.PublicKey)
	}
	e.mu.Unlock()
	keys := []map[string]any{}
	for _, pub := range pubs {
		kid := keyID(pub)
		keys = append(keys, map[string]any{
			"kty": "RSA", "use": "sig", "kid": kid, "x5t": kid,
			"n":      base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			"e":      base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
			"issuer": e.opts.BaseURL + "/{tenantid}/v2.0",
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
}

func (e *Emulator) openIDConfig(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("tenant")
	iss := e.opts.BaseURL + "/{tenantid}/v2.0"
	e.mu.Lock()
	t := e.w.findTenant(ref)
	e.mu.Unlock()
	switch {
	case t != nil:
		iss, ref = e.issuer(t.ID), t.ID
	case ref != "common" && ref != "organizations" && ref != "consumers":
		e.writeAADError(w, tenantNotFound(ref))
		return
	}
	b := e.opts.BaseURL + "/" + ref
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                b + "/oauth2/v2.0/authorize",
		"token_endpoint":                        b + "/oauth2/v2.0/token",
		"jwks_uri":                              b + "/discovery/v2.0/keys",
		"end_session_endpoint":                  b + "/oauth2/v2.0/logout",
		"userinfo_endpoint":                     e.opts.BaseURL + "/oidc/userinfo",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"claims_supported": []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce",
			"preferred_username", "name", "tid", "ver", "oid", "upn"},
		"tenant_region_scope":             "NA",
		"request_uri_parameter_supported": false,
	})
}

func tenantNotFound(ref string) *aadError {
	return newAAD(http.StatusBadRequest, "invalid_request", 90002,
		"Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", ref)
}

func marshalKey(k *rsa.PrivateKey) []byte {
	return x509.MarshalPKCS1PrivateKey(k)
}

func unmarshalKey(b []byte) (*rsa.PrivateKey, error) {
	k, err := x509.ParsePKCS1PrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("msemu: snapshot signing key: %w", err)
	}
	return k, nil
}
