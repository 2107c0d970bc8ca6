package sso_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"callrec/internal/sso"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// idpAsSender is the IdP's side of Single Logout, made with crewjam's SP
// primitives: a ServiceProvider whose entity ID and key are the IdP's and
// whose peer (IDPMetadata) is callrec, so it signs LogoutRequests and
// LogoutResponses exactly as an IdP sends them to callrec's SLO URL.
func (x *testIdP) asSender(e *env) *saml.ServiceProvider {
	cert, _ := sso.ParseCertificate(x.certPEM)
	slo := []saml.Endpoint{{Binding: saml.HTTPRedirectBinding, Location: publicURL + "/saml/slo"}}
	return &saml.ServiceProvider{EntityID: idpEntityID, Key: x.key, Certificate: cert,
		SignatureMethod: dsig.RSASHA256SignatureMethod, Clock: dsig.NewFakeClockAt(e.clock.Now()),
		IDPMetadata: &saml.EntityDescriptor{EntityID: publicURL + "/saml/metadata", IDPSSODescriptors: []saml.IDPSSODescriptor{
			{SSODescriptor: saml.SSODescriptor{SingleLogoutServices: slo}}}}}
}

func (e *env) slo(t *testing.T, raw string) (sso.SLOResult, error) {
	t.Helper()
	r := httptest.NewRequest("GET", raw, nil)
	return e.sso.SLO(context.Background(), r, "192.0.2.10")
}

func TestIdPInitiatedLogout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		e.user(e.tenant.ID, "jane@contoso.example", "saml", nil)
		in, err := e.post(e.idp.signed("", assertion{nameID: "jane@contoso.example"}), "")
		if err != nil {
			t.Fatal(err)
		}
		u, err := e.idp.asSender(e).MakeRedirectLogoutRequest("jane@contoso.example", "r1", saml.WithSessionIndex("idx-1"))
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.slo(t, u.String())
		if err != nil || res.Ended != 1 {
			t.Fatalf("logout: ended %d, %v", res.Ended, err)
		}
		if _, err := e.db.Q().GetSession(context.Background(), in.SignedIn.Session.IDHash); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("session still there: %v", err)
		}
		if !strings.HasPrefix(res.Redirect, idpSLO+"?") || !strings.Contains(res.Redirect, "Signature=") {
			t.Fatalf("answer %q is not a signed LogoutResponse to the IdP", res.Redirect)
		}
		resp := samlQuery(t, res.Redirect, "SAMLResponse")
		if resp.Tag != "LogoutResponse" {
			t.Fatalf("answer is %s", resp.Tag)
		}
		if got, _ := url.Parse(res.Redirect); got.Query().Get("RelayState") != "r1" {
			t.Fatalf("RelayState not echoed: %q", res.Redirect)
		}
		// The same LogoutRequest again is a replay.
		_, err = e.slo(t, u.String())
		var ref *sso.Refusal
		if !errors.As(err, &ref) || ref.Code != sso.RefusedReplay {
			t.Fatalf("replayed LogoutRequest: %v", err)
		}
		if _, ok := e.lastAudit(e.tenant.ID, "saml.logout_refused"); !ok {
			t.Fatal("refused logout not audited")
		}
	})
}

func TestLogoutRequestSignedByAnotherKeyIsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		e.user(e.tenant.ID, "jane@contoso.example", "saml", nil)
		in, err := e.post(e.idp.signed("", assertion{nameID: "jane@contoso.example"}), "")
		if err != nil {
			t.Fatal(err)
		}
		u, err := newTestIdP(t, e, idpEntityID).asSender(e).MakeRedirectLogoutRequest("jane@contoso.example", "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.slo(t, u.String())
		var ref *sso.Refusal
		if !errors.As(err, &ref) || ref.Code != sso.RefusedSignature {
			t.Fatalf("forged LogoutRequest: %v", err)
		}
		if _, err := e.db.Q().GetSession(context.Background(), in.SignedIn.Session.IDHash); err != nil {
			t.Fatalf("a forged LogoutRequest ended the session: %v", err)
		}
	})
}

func TestSPInitiatedLogout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		e.user(e.tenant.ID, "jane@contoso.example", "saml", nil)
		in, err := e.post(e.idp.signed("", assertion{nameID: "jane@contoso.example"}), "")
		if err != nil {
			t.Fatal(err)
		}
		to, err := e.sso.LogoutURL(context.Background(), in.SignedIn.Session)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(to, idpSLO+"?") || !strings.Contains(to, "Signature=") {
			t.Fatalf("LogoutRequest URL %q", to)
		}
		req := samlQuery(t, to, "SAMLRequest")
		if req.Tag != "LogoutRequest" || req.FindElement("./NameID").Text() != "jane@contoso.example" ||
			req.FindElement("./SessionIndex").Text() != "idx-1" {
			t.Fatalf("LogoutRequest names the wrong session")
		}
		answer, err := e.idp.asSender(e).MakeRedirectLogoutResponse(req.SelectAttrValue("ID", ""), "")
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.slo(t, answer.String())
		if err != nil || !res.Response || res.Redirect != "/login" {
			t.Fatalf("LogoutResponse: %+v %v", res, err)
		}
		// Answered once.
		_, err = e.slo(t, answer.String())
		var ref *sso.Refusal
		if !errors.As(err, &ref) || ref.Code != sso.RefusedRequest {
			t.Fatalf("second LogoutResponse: %v", err)
		}
		// A password session has no SAML logout.
		if to, err := e.sso.LogoutURL(context.Background(), store.Session{}); to != "" || err != nil {
			t.Fatalf("password session: %q %v", to, err)
		}
	})
}

// The IdP may send its LogoutRequest with the HTTP-POST binding.
func TestIdPInitiatedLogoutByPost(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		e.user(e.tenant.ID, "jane@contoso.example", "saml", nil)
		if _, err := e.post(e.idp.signed("", assertion{nameID: "jane@contoso.example"}), ""); err != nil {
			t.Fatal(err)
		}
		req, err := e.idp.asSender(e).MakeLogoutRequest(publicURL+"/saml/slo", "jane@contoso.example")
		if err != nil {
			t.Fatal(err)
		}
		form := url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(elBytes(t, req.Element()))}, "RelayState": {"p1"}}
		r := httptest.NewRequest("POST", publicURL+"/saml/slo", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if err := r.ParseForm(); err != nil {
			t.Fatal(err)
		}
		res, err := e.sso.SLO(context.Background(), r, "192.0.2.10")
		if err != nil || res.Ended != 1 || !strings.HasPrefix(res.Redirect, idpSLO+"?SAMLResponse=") {
			t.Fatalf("POST logout: %+v %v", res, err)
		}
	})
}
