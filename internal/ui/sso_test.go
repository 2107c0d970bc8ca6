package ui_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	"github.com/crewjam/saml/samlsp"
	dsig "github.com/russellhaering/goxmldsig"

	"callrec/internal/account"
	"callrec/internal/caller"
	"callrec/internal/roles"
	"callrec/internal/sso"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// portalIdP is a crewjam IdP registered for the env's tenant; its
// responses are IdP-initiated.
type portalIdP struct {
	t   *testing.T
	idp *saml.IdentityProvider
	md  *saml.EntityDescriptor
}

func (p *portalIdP) GetServiceProvider(*http.Request, string) (*saml.EntityDescriptor, error) {
	return p.md, nil
}

func (e *env) portalIdP(tenantID string) *portalIdP {
	e.t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		e.t.Fatal(err)
	}
	certPEM, _ := sso.SelfSigned(key, "portal", e.clock.Now())
	cert, _ := sso.ParseCertificate(certPEM)
	raw, err := e.sso.Metadata()
	if err != nil {
		e.t.Fatal(err)
	}
	md, err := samlsp.ParseMetadata(raw)
	if err != nil {
		e.t.Fatal(err)
	}
	mdURL, _ := url.Parse("https://portal.example/saml")
	p := &portalIdP{t: e.t, md: md}
	p.idp = &saml.IdentityProvider{Key: key, Signer: key, Certificate: cert, MetadataURL: *mdURL, ServiceProviderProvider: p,
		SignatureMethod: dsig.RSASHA256SignatureMethod, Clock: dsig.NewFakeClockAt(e.clock.Now())}
	name, entity, slo, ssoURL := "Cloud Services Portal", mdURL.String(), "https://portal.example/slo", "https://portal.example/sso"
	provider := &caller.Caller{User: store.User{Login: "provider", Role: roles.ProviderAdmin}}
	if _, err := e.sso.CreateIdP(context.Background(), provider, sso.IdPInput{Name: &name, TenantID: &tenantID, EntityID: &entity,
		SLOURL: &slo, SSOURL: &ssoURL, Cert1: &certPEM}); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// response is a signed IdP-initiated Response for nameID, base64.
func (p *portalIdP) response(nameID string) string {
	p.t.Helper()
	req, err := p.idp.NewIdpInitiatedRequest(httptest.NewRequest("GET", "https://portal.example/", nil), "", "")
	if err != nil {
		p.t.Fatal(err)
	}
	now := p.idp.Clock.Now()
	if err := (saml.DefaultAssertionMaker{}).MakeAssertion(req, &saml.Session{ID: "s", CreateTime: now, ExpireTime: now.Add(time.Hour),
		Index: "i1", NameID: nameID}); err != nil {
		p.t.Fatal(err)
	}
	if err := req.MakeResponse(); err != nil {
		p.t.Fatal(err)
	}
	doc := etree.NewDocument()
	doc.SetRoot(req.ResponseEl)
	b, _ := doc.WriteToBytes()
	return base64.StdEncoding.EncodeToString(b)
}

func TestSAMLSignInThroughThePortal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		idp := e.portalIdP(e.tenant.ID)
		saml2, pw := "saml", "Contoso#2026"
		login := "jane@contoso.example"
		u, err := e.accounts.CreateUser(context.Background(), account.System, e.tenant.ID, account.UserInput{Login: &login,
			Role: ptr("admin"), Name: ptr("Jane"), AuthType: &saml2, Password: &pw, PortalAccess: ptr(true)})
		if err != nil {
			t.Fatal(err)
		}
		e.acceptTerms(u)
		br := e.browser()

		if strings.Contains(br.get("/login").body, "Sign in with") {
			t.Error("the sign-in page names a tenant's own IdP")
		}
		md := br.get("/saml/metadata")
		mustContain(t, md, `entityID="http://portal.test/saml/metadata"`, "SignatureValue")

		// The password form points SAML users to their portal.
		p := br.signIn(login, pw)
		if p.status != http.StatusForbidden {
			t.Fatalf("password sign-in of a SAML user: %d", p.status)
		}
		mustContain(t, p, "single sign-on")

		// A cross-site post: no form token, no cookie, still accepted.
		resp := idp.response(login)
		p = br.post("", "/saml/acs", url.Values{"SAMLResponse": {resp}, "RelayState": {"/recordings"}})
		if p.status != http.StatusSeeOther || p.location != "/recordings" {
			t.Fatalf("ACS: %d %q\n%s", p.status, p.location, p.body)
		}
		if home := br.get("/"); home.status != http.StatusOK {
			t.Fatalf("signed in by SAML, home is %d", home.status)
		}

		// Replayed: the error page, in the house style.
		p = e.browser().post("", "/saml/acs", url.Values{"SAMLResponse": {resp}})
		if p.status != http.StatusForbidden {
			t.Fatalf("replay: %d", p.status)
		}
		mustContain(t, p, "Error 403", "used already")

		// Signing out continues at the IdP with a LogoutRequest.
		p = br.post("/", "/logout", url.Values{})
		if p.status != http.StatusOK || !strings.Contains(p.body, "https://portal.example/slo?SAMLRequest=") {
			t.Fatalf("logout: %d\n%s", p.status, p.body)
		}
		if home := br.get("/"); home.status != http.StatusSeeOther {
			t.Fatalf("after logout home is %d", home.status)
		}
	})
}

func TestSSOSettingsAndTenantList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		e.portalIdP("")
		mustContain(t, e.browser().get("/login"), "Sign in with Cloud Services Portal", "/saml/login?idp=")
		e.acceptTerms(e.createUser("", "provider@sp.example", "Pat Provider", "provider_admin", adminPassword))
		br := e.browser()
		if p := br.signIn("provider@sp.example", adminPassword); p.status != http.StatusSeeOther || p.location != "/" {
			t.Fatalf("sign-in: %d %s", p.status, p.location)
		}
		mustContain(t, br.get("/admin/sso"), "Cloud Services Portal", "http://portal.test/saml/acs", "Test sign-in")
		mustContain(t, br.get("/admin/tenants"), "provider-wide")
		p := br.post("/admin/sso", "/admin/sso", url.Values{"name": {"Broken"}, "entity_id": {"https://x.example"}})
		if p.status != http.StatusUnprocessableEntity {
			t.Fatalf("IdP without certificate: %d", p.status)
		}
		mustContain(t, p, "signing certificate is required")
	})
}
