package sso_test

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"io"
	"log/slog"
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
	"callrec/internal/auth"
	"callrec/internal/caller"
	"callrec/internal/clock"
	"callrec/internal/roles"
	"callrec/internal/sso"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

const (
	publicURL   = "http://callrec.test"
	idpEntityID = "https://idp.test/metadata"
	idpSLO      = "https://idp.test/slo"
)

// env is callrec's SP on a real store, with a tenant, its users and an
// IdP registered for the tenant.
type env struct {
	t        *testing.T
	db       *store.DB
	clock    *clock.Fake
	accounts *account.Service
	auth     *auth.Service
	sso      *sso.Service
	tenant   store.Tenant
	other    store.Tenant
	idp      *testIdP
	reg      store.SAMLIdP
	provider *caller.Caller
}

func newEnv(t *testing.T, b storetest.Backend) *env {
	t.Helper()
	c := clock.NewFake()
	db := storetest.Open(t, b, c.Now)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := &env{t: t, db: db, clock: c, accounts: account.New(db, c.Now)}
	e.auth = auth.NewService(db, auth.Options{Now: c.Now, Log: log, Hasher: auth.NewHasher(1, 1, 0)})
	var err error
	if e.sso, err = sso.New(context.Background(), db, e.auth, sso.Options{Now: c.Now, Log: log, PublicURL: publicURL}); err != nil {
		t.Fatal(err)
	}
	e.tenant = e.createTenant("Contoso")
	e.other = e.createTenant("Fabrikam")
	e.provider = &caller.Caller{User: store.User{ID: "p1", Login: "provider@sp.example", Role: roles.ProviderAdmin}}
	e.idp = newTestIdP(t, e, idpEntityID)
	e.reg = e.register(e.tenant.ID, e.idp.certPEM, "")
	return e
}

func (e *env) createTenant(name string) store.Tenant {
	e.t.Helper()
	tn, err := e.accounts.CreateTenant(context.Background(), account.System, account.TenantInput{Name: &name})
	if err != nil {
		e.t.Fatalf("create tenant: %v", err)
	}
	return tn
}

// user adds a user; authType "saml" or "password"; change tweaks the input.
func (e *env) user(tenantID, login, authType string, change func(*account.UserInput)) store.User {
	e.t.Helper()
	name, role, pw, email, on := "Someone", "admin", "Contoso#2026", "someone@contoso.example", true
	in := account.UserInput{Name: &name, Login: &login, Role: &role, Password: &pw, Email: &email, AuthType: &authType, PortalAccess: &on}
	if change != nil {
		change(&in)
	}
	u, err := e.accounts.CreateUser(context.Background(), account.System, tenantID, in)
	if err != nil {
		e.t.Fatalf("create user %s: %v", login, err)
	}
	if err := e.auth.AcceptTerms(context.Background(), nil, u, 1, "127.0.0.1"); err != nil {
		e.t.Fatal(err)
	}
	u, _ = e.db.Q().GetUserByID(context.Background(), u.ID)
	return u
}

// register registers the IdP for tenantID ("" provider-wide) with one or
// two certificates.
func (e *env) register(tenantID, cert1, cert2 string) store.SAMLIdP {
	e.t.Helper()
	name, entity, ssoURL, slo := "Provider portal", idpEntityID, "https://idp.test/sso", idpSLO
	x, err := e.sso.CreateIdP(context.Background(), e.provider, sso.IdPInput{Name: &name, TenantID: &tenantID, EntityID: &entity,
		SSOURL: &ssoURL, SLOURL: &slo, Cert1: &cert1, Cert2: &cert2})
	if err != nil {
		e.t.Fatalf("register idp: %v", err)
	}
	return x
}

// testIdP is an identity provider built from crewjam's own IdP: it signs
// with its key, at its own clock.
type testIdP struct {
	t       *testing.T
	key     *rsa.PrivateKey
	certPEM string
	idp     *saml.IdentityProvider
	spMD    *saml.EntityDescriptor
}

func newTestIdP(t *testing.T, e *env, entityID string) *testIdP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, err := sso.SelfSigned(key, "test idp", e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := sso.ParseCertificate(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	md, err := e.sso.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	spMD, err := samlsp.ParseMetadata(md)
	if err != nil {
		t.Fatalf("parse SP metadata: %v\n%s", err, md)
	}
	// Plain assertions keep the attack tests readable; the SP decrypts too.
	for i := range spMD.SPSSODescriptors {
		var keep []saml.KeyDescriptor
		for _, k := range spMD.SPSSODescriptors[i].KeyDescriptors {
			if k.Use != "encryption" {
				keep = append(keep, k)
			}
		}
		spMD.SPSSODescriptors[i].KeyDescriptors = keep
	}
	mdURL, _ := url.Parse(entityID)
	ssoURL, _ := url.Parse("https://idp.test/sso")
	x := &testIdP{t: t, key: key, certPEM: certPEM, spMD: spMD}
	x.idp = &saml.IdentityProvider{Key: key, Signer: key, Certificate: cert, MetadataURL: *mdURL, SSOURL: *ssoURL,
		SignatureMethod: dsig.RSASHA256SignatureMethod, ServiceProviderProvider: x, Clock: dsig.NewFakeClockAt(e.clock.Now())}
	return x
}

// GetServiceProvider implements saml.ServiceProviderProvider.
func (x *testIdP) GetServiceProvider(_ *http.Request, id string) (*saml.EntityDescriptor, error) {
	return x.spMD, nil
}

// at moves the IdP's clock (assertions issued then).
func (x *testIdP) at(t time.Time) { x.idp.Clock = dsig.NewFakeClockAt(t) }

// assertion is what the IdP vouches for; tweak edits it before signing.
type assertion struct {
	nameID string
	tweak  func(*saml.IdpAuthnRequest)
}

// request is an IdP-initiated sign-in, or answers the AuthnRequest in
// redirectURL (SP-initiated).
func (x *testIdP) request(redirectURL string, a assertion) *saml.IdpAuthnRequest {
	x.t.Helper()
	var req *saml.IdpAuthnRequest
	var err error
	if redirectURL == "" {
		req, err = x.idp.NewIdpInitiatedRequest(httptest.NewRequest("GET", "https://idp.test/start", nil), publicURL+"/saml/metadata", "")
	} else {
		req, err = saml.NewIdpAuthnRequest(x.idp, httptest.NewRequest("GET", redirectURL, nil))
		if err == nil {
			err = req.Validate()
		}
	}
	if err != nil {
		x.t.Fatalf("idp request: %v", err)
	}
	now := x.idp.Clock.Now()
	sess := &saml.Session{ID: "s1", CreateTime: now, ExpireTime: now.Add(time.Hour), Index: "idx-1", NameID: a.nameID,
		UserName: a.nameID, UserEmail: "mail-" + a.nameID}
	if err := (saml.DefaultAssertionMaker{}).MakeAssertion(req, sess); err != nil {
		x.t.Fatalf("make assertion: %v", err)
	}
	if a.tweak != nil {
		a.tweak(req)
	}
	return req
}

// signed is the IdP's signed Response (assertion and response signed).
func (x *testIdP) signed(redirectURL string, a assertion) []byte {
	x.t.Helper()
	req := x.request(redirectURL, a)
	if err := req.MakeResponse(); err != nil {
		x.t.Fatalf("make response: %v", err)
	}
	return elBytes(x.t, req.ResponseEl)
}

func elBytes(t *testing.T, el *etree.Element) []byte {
	t.Helper()
	doc := etree.NewDocument()
	doc.SetRoot(el.Copy())
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// post delivers a Response to the ACS as a browser would.
func (e *env) post(response []byte, relay string) (sso.ACSResult, error) {
	form := url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(response)}, "RelayState": {relay}}
	r := httptest.NewRequest("POST", publicURL+"/saml/acs", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := r.ParseForm(); err != nil {
		e.t.Fatal(err)
	}
	return e.sso.ACS(context.Background(), r, "192.0.2.10")
}

// lastAudit is the newest audit entry with the action.
func (e *env) lastAudit(tenantID, action string) (store.AuditEntry, bool) {
	e.t.Helper()
	entries, _, err := e.db.Q().ListAudit(context.Background(), tenantID, store.AuditFilter{Action: action, Limit: 50})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(entries) == 0 {
		return store.AuditEntry{}, false
	}
	return entries[0], true
}

// samlQuery decodes the SAMLRequest or SAMLResponse of a Redirect-binding URL.
func samlQuery(t *testing.T, raw, param string) *etree.Element {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	z, err := base64.StdEncoding.DecodeString(u.Query().Get(param))
	if err != nil {
		t.Fatal(err)
	}
	xml, err := io.ReadAll(flate.NewReader(bytes.NewReader(z)))
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(xml); err != nil {
		t.Fatal(err)
	}
	return doc.Root()
}
