package sso

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/crewjam/saml"

	"callrec/internal/auth"
	"callrec/internal/caller"
	"callrec/internal/store"
)

// logoutRelay marks a stored request as a LogoutRequest, so an AuthnRequest
// ID never answers a logout and the other way round.
const logoutRelay = "#logout"

// StartLogin begins an SP-initiated sign-in at the IdP: the URL to send the
// browser to (HTTP-Redirect binding, signed AuthnRequest). relay is where
// the user lands afterwards (a local path; anything else becomes "/").
// A Test sign-in (the SSO settings page's button) shows the received
// attributes instead of signing anyone in; only TestLogin starts one.
func (s *Service) StartLogin(ctx context.Context, idpID, relay string) (string, error) {
	return s.start(ctx, idpID, LocalPath(relay), false)
}

// TestLogin starts a Test sign-in for a provider admin.
func (s *Service) TestLogin(ctx context.Context, c *caller.Caller, idpID string) (string, error) {
	if err := mayManage(c); err != nil {
		return "", err
	}
	return s.start(ctx, idpID, "/", true)
}

func (s *Service) start(ctx context.Context, idpID, relay string, test bool) (string, error) {
	idp, err := s.db.Q().GetSAMLIdP(ctx, idpID)
	if errors.Is(err, store.ErrNotFound) {
		return "", refuse(RefusedUnknownIdP, err)
	} else if err != nil {
		return "", err
	}
	if !idp.Enabled && !test {
		return "", refuse(RefusedIdPDisabled, nil)
	}
	if idp.SSOURL == "" {
		return "", refuse(RefusedNoSSOEndpoint, nil)
	}
	sp, err := s.sp(&idp)
	if err != nil {
		return "", err
	}
	req, err := sp.MakeAuthenticationRequest(idp.SSOURL, saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		return "", err
	}
	now := s.stamp()
	if err := s.db.Q().InsertSAMLRequest(ctx, store.SAMLRequest{ID: req.ID, IdPID: idp.ID, Relay: relay, Test: test,
		CreatedAt: now, ExpiresAt: now.Add(requestTTL)}); err != nil {
		return "", err
	}
	u, err := req.Redirect(relay, sp)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// ACSResult is what the ACS did: a session started (SignedIn) and where
// to go next, or a Test sign-in's findings.
type ACSResult struct {
	SignedIn auth.SignedIn
	Next     string
	Test     *TestResult
}

// TestResult is what a Test sign-in received from the IdP.
type TestResult struct {
	IdP        store.SAMLIdP
	NameID     string
	Attributes map[string][]string
	MatchValue string // the value compared with callrec logins
	Login      string // the user it matched, if any
	Problem    string // why that user could not sign in, if so
}

// ACS consumes a Response posted to the assertion consumer service
// (HTTP-POST binding), IdP- or SP-initiated, and signs the user in. Every
// refusal is a *Refusal and is audited.
func (s *Service) ACS(ctx context.Context, r *http.Request, ip string) (ACSResult, error) {
	res, idp, login, err := s.acs(ctx, r, ip)
	var ref *Refusal
	if errors.As(err, &ref) {
		detail := map[string]string{"reason": ref.Code}
		if ref.Err != nil {
			detail["cause"] = ref.Err.Error()
		}
		if aerr := s.audit(ctx, s.db.Q(), caller.Actor{Login: login, IP: ip}, idp.TenantID, "saml.refused", idp.ID, detail); aerr != nil {
			s.log.Error("sso: audit refusal", "err", aerr)
		}
		s.log.Info("sso: sign-in refused", "reason", ref.Code, "idp", idp.EntityID, "cause", ref.Err)
	}
	return res, err
}

func (s *Service) acs(ctx context.Context, r *http.Request, ip string) (ACSResult, store.SAMLIdP, string, error) {
	var idp store.SAMLIdP
	if r.PostFormValue("SAMLart") != "" || r.PostFormValue("SAMLResponse") == "" {
		return ACSResult{}, idp, "", refuse(RefusedMalformed, errors.New("only the HTTP-POST binding with a SAMLResponse is accepted"))
	}
	p, err := peek(r, "SAMLResponse")
	if err != nil || p.Redirect {
		return ACSResult{}, idp, "", refuse(RefusedMalformed, err)
	}
	if idp, err = s.db.Q().GetSAMLIdPByEntityID(ctx, p.Issuer); err != nil {
		return ACSResult{}, idp, "", refuse(RefusedUnknownIdP, err)
	}
	var pending *store.SAMLRequest
	var possible []string
	if p.InResponseTo != "" {
		req, err := s.db.Q().TakeSAMLRequest(ctx, idp.ID, p.InResponseTo)
		if err != nil || req.Relay == logoutRelay {
			return ACSResult{}, idp, "", refuse(RefusedRequest, err)
		}
		pending, possible = &req, []string{req.ID}
	}
	test := pending != nil && pending.Test
	if !idp.Enabled && !test {
		return ACSResult{}, idp, "", refuse(RefusedIdPDisabled, nil)
	}
	sp, err := s.sp(&idp)
	if err != nil {
		return ACSResult{}, idp, "", err
	}
	sp.ReplayCache = replayCache{ctx: ctx, db: s.db}
	raw, _ := base64.StdEncoding.DecodeString(r.PostFormValue("SAMLResponse"))
	a, err := sp.ParseXMLResponse(raw, possible, *s.endpoint(ACSPath))
	if err != nil {
		return ACSResult{}, idp, "", classify(err)
	}
	value := matchValue(a, idp.MatchAttr)
	if test {
		return ACSResult{Test: s.testResult(ctx, idp, a, value)}, idp, value, nil
	}
	u, err := s.matchUser(ctx, idp, value)
	if err != nil {
		return ACSResult{}, idp, value, err
	}
	next := LocalPath(r.PostFormValue("RelayState"))
	if pending != nil {
		next = pending.Relay
	}
	signed, err := s.auth.SignInSAML(ctx, auth.SAMLSignIn{User: u, IP: ip, IdPEnforcesMFA: idp.EnforcesMFA,
		SAML: store.SAMLSession{IdPID: idp.ID, NameID: nameID(a), SessionIndex: sessionIndex(a)}})
	switch {
	case errors.Is(err, auth.ErrNotSAMLUser):
		return ACSResult{}, idp, value, refuse(RefusedNotSAML, err)
	case errors.Is(err, auth.ErrNoAccess):
		return ACSResult{}, idp, value, refuse(RefusedNoAccess, err)
	case err != nil:
		return ACSResult{}, idp, value, err
	}
	return ACSResult{SignedIn: signed, Next: next}, idp, value, nil
}

// matchUser finds the user the value names (a login, any case) within the
// IdP's tenant, or any tenant for a provider-wide IdP.
func (s *Service) matchUser(ctx context.Context, idp store.SAMLIdP, value string) (store.User, error) {
	if value == "" {
		return store.User{}, refuse(RefusedNoMatch, errors.New("no value for match attribute "+idp.MatchAttr))
	}
	u, err := s.db.Q().GetUserByLogin(ctx, value)
	if errors.Is(err, store.ErrNotFound) {
		return u, refuse(RefusedNoUser, err)
	} else if err != nil {
		return u, err
	}
	if idp.TenantID != "" && u.TenantID != idp.TenantID {
		return u, refuse(RefusedTenant, errors.New("user of tenant "+u.TenantID+", IdP of tenant "+idp.TenantID))
	}
	return u, nil
}

func (s *Service) testResult(ctx context.Context, idp store.SAMLIdP, a *saml.Assertion, value string) *TestResult {
	t := &TestResult{IdP: idp, NameID: nameID(a), Attributes: map[string][]string{}, MatchValue: value}
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			key := at.Name
			if at.FriendlyName != "" {
				key += " (" + at.FriendlyName + ")"
			}
			for _, v := range at.Values {
				t.Attributes[key] = append(t.Attributes[key], v.Value)
			}
		}
	}
	u, err := s.matchUser(ctx, idp, value)
	var ref *Refusal
	switch {
	case errors.As(err, &ref):
		t.Problem = ref.Message
	case err != nil:
		t.Problem = "The user could not be looked up."
	default:
		t.Login = u.Login
		if u.AuthType != auth.AuthTypeSAML {
			t.Problem = refusalText[RefusedNotSAML]
		}
	}
	return t
}

// matchValue is the assertion's value for the IdP's match attribute: the
// NameID, or the first value of the attribute with that Name or FriendlyName.
func matchValue(a *saml.Assertion, attr string) string {
	if attr == "" || strings.EqualFold(attr, MatchNameID) {
		return strings.TrimSpace(nameID(a))
	}
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			if (at.Name == attr || at.FriendlyName == attr) && len(at.Values) > 0 {
				return strings.TrimSpace(at.Values[0].Value)
			}
		}
	}
	return ""
}

func nameID(a *saml.Assertion) string {
	if a.Subject == nil || a.Subject.NameID == nil {
		return ""
	}
	return a.Subject.NameID.Value
}

func sessionIndex(a *saml.Assertion) string {
	for _, st := range a.AuthnStatements {
		if st.SessionIndex != "" {
			return st.SessionIndex
		}
	}
	return ""
}

// LocalPath keeps a RelayState or relay parameter on this site: a local
// absolute path, never "//host" or "/\host" which browsers read as another
// origin; anything else is "/".
func LocalPath(p string) string {
	if p == "" || p[0] != '/' || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n\t") || len(p) > 2048 {
		return "/"
	}
	u, err := url.Parse(p)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return p
}

// Choice is an IdP the sign-in page offers (SP-initiated sign-in).
type Choice struct {
	ID   string
	Name string
}

// SignInChoices lists the enabled provider-wide IdPs with a sign-in URL,
// for the sign-in page's "Sign in with …" links. A tenant's own IdP is
// left out: its name would tell anonymous visitors who the customers are,
// and its users arrive from their portal's link anyway.
func (s *Service) SignInChoices(ctx context.Context) ([]Choice, error) {
	xs, err := s.db.Q().ListSAMLIdPs(ctx)
	if err != nil {
		return nil, err
	}
	var out []Choice
	for _, x := range xs {
		if x.Enabled && x.SSOURL != "" && x.TenantID == "" {
			out = append(out, Choice{ID: x.ID, Name: x.Name})
		}
	}
	return out, nil
}
