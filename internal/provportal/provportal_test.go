package provportal_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/xml"
	"errors"
	"html"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"
	"github.com/pquerna/otp/totp"
	dsig "github.com/russellhaering/goxmldsig"

	"callrec/internal/account"
	"callrec/internal/clock"
	"callrec/internal/provportal"
	"callrec/internal/roles"
	"callrec/internal/scim"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

func TestPasswordRule(t *testing.T) {
	for _, tc := range []struct {
		pw string
		ok bool
	}{
		{"Secret#2026", true},
		{"Aa1!aaaa", true},
		{"Aa1!aaa", false},                        // 7 characters
		{"Aa1!" + strings.Repeat("a", 26), true},  // 30
		{"Aa1!" + strings.Repeat("a", 27), false}, // 31
		{"secret#2026", false},                    // no capital
		{"Secret#word", false},                    // no number
		{"Secret2026", false},                     // no special character
	} {
		if err := provportal.PasswordRule(tc.pw); (err == nil) != tc.ok {
			t.Errorf("PasswordRule(%q) = %v, want ok=%v", tc.pw, err, tc.ok)
		}
	}
	if _, err := provportal.New(provportal.Options{PublicURL: "http://x", Accounts: []provportal.Account{{Login: "a", Password: "weak"}}}); err == nil {
		t.Error("an account with a weak password was accepted")
	}
}

// world is callrec (SCIM server and a crewjam SAML service provider
// standing in for callrec's SP) and the emulated portal.
type world struct {
	t        *testing.T
	clock    *clock.Fake
	accounts *account.Service
	tenant   store.Tenant
	portal   *provportal.Portal
	sp       *saml.ServiceProvider
	callrec  string
	url      string
	client   *http.Client
}

func newWorld(t *testing.T) *world {
	c := clock.NewFake()
	db := storetest.Open(t, storetest.Backends()[0], c.Now)
	w := &world{t: t, clock: c, accounts: account.New(db, c.Now)}
	ctx := context.Background()
	name := "Acme"
	var err error
	w.tenant, err = w.accounts.CreateTenant(ctx, account.System, account.TenantInput{Name: &name, Licenses: map[string]int{"call_recording": 5}})
	if err != nil {
		t.Fatal(err)
	}
	w.user("agent@acme.example", true, []string{"call_recording"})
	w.user("norec@acme.example", true, nil)
	prov := &account.Caller{User: store.User{ID: "p", Login: "provider", Role: roles.ProviderAdmin}}
	token, _, err := w.accounts.CreateSCIMToken(ctx, prov, w.tenant.ID, "provider portal")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	var portalH, callrecH http.Handler
	ps := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { portalH.ServeHTTP(rw, r) }))
	cs := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { callrecH.ServeHTTP(rw, r) }))
	t.Cleanup(ps.Close)
	t.Cleanup(cs.Close)
	w.callrec, w.url = cs.URL, ps.URL

	w.portal, err = provportal.New(provportal.Options{PublicURL: ps.URL, CallrecURL: cs.URL, SCIMToken: token, Clock: c, Log: log,
		Accounts: []provportal.Account{{Login: "agent@acme.example", Password: "Secret#2026", Name: "Agent", Admin: true}}})
	if err != nil {
		t.Fatal(err)
	}
	portalH = w.portal
	srv, err := scim.New(w.accounts, log, cs.URL)
	if err != nil {
		t.Fatal(err)
	}
	w.sp = newSP(t, cs.URL, ps.URL)
	mux := http.NewServeMux()
	mux.Handle(scim.Prefix+"/", srv)
	mux.HandleFunc("GET /saml/metadata", func(rw http.ResponseWriter, _ *http.Request) {
		b, _ := xml.Marshal(w.sp.Metadata())
		_, _ = rw.Write(b)
	})
	callrecH = mux
	jar, _ := cookiejar.New(nil)
	w.client = &http.Client{Jar: jar}
	return w
}

// newSP is a crewjam ServiceProvider as callrec's SP is specified: entity
// ID {callrec}/saml/metadata, ACS {callrec}/saml/acs.
func newSP(t *testing.T, callrec, portal string) *saml.ServiceProvider {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	cert, _ := x509.ParseCertificate(der)
	md, _ := url.Parse(callrec + "/saml/metadata")
	acs, _ := url.Parse(callrec + "/saml/acs")
	slo, _ := url.Parse(callrec + "/saml/slo")
	return &saml.ServiceProvider{EntityID: md.String(), Key: key, Certificate: cert, MetadataURL: *md, AcsURL: *acs, SloURL: *slo,
		AllowIDPInitiated: true, AuthnNameIDFormat: saml.EmailAddressNameIDFormat, SignatureMethod: dsig.RSASHA256SignatureMethod,
		LogoutBindings: []string{saml.HTTPPostBinding, saml.HTTPRedirectBinding}}
}

func (w *world) user(login string, portal bool, licenses []string) store.User {
	name, role := strings.Split(login, "@")[0], roles.User
	u, err := w.accounts.CreateUser(context.Background(), account.System, w.tenant.ID, account.UserInput{Name: &name, Login: &login,
		Email: &login, Role: &role, PortalAccess: &portal, Licenses: &licenses})
	if err != nil {
		w.t.Fatal(err)
	}
	return u
}

func (w *world) get(path string) (int, string) {
	w.t.Helper()
	res, err := w.client.Get(w.url + path)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func (w *world) post(path string, form url.Values) (int, string, string) {
	w.t.Helper()
	res, err := w.client.PostForm(w.url+path, form)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Request.URL.Path, string(b)
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	m := csrfRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token in %s", page)
	}
	return m[1]
}

// signIn walks password, MFA (enrolling the first time) and terms, and
// returns the TOTP secret.
func (w *world) signIn(secret string) string {
	t := w.t
	t.Helper()
	if st, _, _ := w.post("/signin", url.Values{"username": {"agent@acme.example"}, "password": {"Wrong#2026"}}); st != 401 {
		t.Fatalf("wrong password: %d", st)
	}
	st, path, page := w.post("/signin", url.Values{"username": {"agent@acme.example"}, "password": {"Secret#2026"}})
	if st != 200 || path != "/mfa" {
		t.Fatalf("sign-in: %d at %s", st, path)
	}
	if secret == "" {
		m := regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no enrolment key on %s", page)
		}
		secret = m[1]
	} else if strings.Contains(page, "totp-secret") {
		t.Fatal("enrolment offered again")
	}
	csrf := csrfOf(t, page)
	if st, _, _ := w.post("/mfa", url.Values{"csrf": {csrf}, "code": {"000000"}}); st != 401 {
		t.Fatalf("wrong code: %d", st)
	}
	code, _ := totp.GenerateCode(secret, w.clock.Now())
	_, path, _ = w.post("/mfa", url.Values{"csrf": {csrf}, "code": {code}})
	return path + " " + secret
}

func TestSignInSyncAndConnect(t *testing.T) {
	w := newWorld(t)
	if _, body := w.get("/dashboard"); !strings.Contains(body, `action="/signin"`) {
		t.Fatal("the dashboard answered before sign-in")
	}
	at, secret, _ := strings.Cut(w.signIn(""), " ")
	if at != "/terms" {
		t.Fatalf("after MFA at %s, want /terms", at)
	}
	_, page := w.get("/terms")
	csrf := csrfOf(t, page)
	if st, _, _ := w.post("/terms", url.Values{"csrf": {csrf}}); st != 400 {
		t.Errorf("terms without accepting: %d", st)
	}
	_, path, page := w.post("/terms", url.Values{"csrf": {csrf}, "accept": {"yes"}})
	if path != "/dashboard" || strings.Contains(page, `id="connect"`) {
		t.Fatalf("after terms at %s, Connect shown: %v", path, strings.Contains(page, `id="connect"`))
	}
	if st, _ := w.get("/connect"); st != 403 {
		t.Errorf("connect before the box is ticked: %d", st)
	}

	// Sync now, as the admin: only Call Recording license holders listed, box off.
	_, page = w.get("/admin/call-recording")
	_, _, page = w.post("/admin/call-recording/sync", url.Values{"csrf": {csrfOf(t, page)}})
	if !strings.Contains(page, `data-user="agent@acme.example"`) || strings.Contains(page, "norec@") || strings.Contains(page, "checked") {
		t.Fatalf("admin page after sync: %s", page)
	}
	_, _, page = w.post("/admin/call-recording/access", url.Values{"csrf": {csrfOf(t, page)}, "user": {"agent@acme.example"}, "access_link": {"on"}})
	if !strings.Contains(page, "checked") {
		t.Fatal("the access link was not saved")
	}
	_, page = w.get("/dashboard")
	if !strings.Contains(page, `id="connect" href="/connect" target="_blank"`) || !strings.Contains(page, "Call Recording – Connect") {
		t.Fatalf("no Connect link after ticking: %s", page)
	}

	// Connect: a signed response, addressed to the SP's ACS, that crewjam's SP accepts.
	w.sp.IDPMetadata = w.idpMetadata()
	_, form := w.get("/connect")
	action := regexp.MustCompile(`action="([^"]+)"`).FindStringSubmatch(form)
	resp := regexp.MustCompile(`name="SAMLResponse" value="([^"]+)"`).FindStringSubmatch(form)
	if action == nil || resp == nil || html.UnescapeString(action[1]) != w.callrec+"/saml/acs" {
		t.Fatalf("connect form: %s", form)
	}
	req := httptest.NewRequest("POST", w.callrec+"/saml/acs", strings.NewReader(url.Values{"SAMLResponse": {html.UnescapeString(resp[1])}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := req.ParseForm(); err != nil {
		t.Fatal(err)
	}
	a, err := w.sp.ParseResponse(req, nil)
	if err != nil {
		var ie *saml.InvalidResponseError
		if errors.As(err, &ie) {
			err = ie.PrivateErr
		}
		t.Fatalf("the SP refused the response: %v", err)
	}
	if a.Subject.NameID.Value != "agent@acme.example" || a.Subject.NameID.Format != string(saml.EmailAddressNameIDFormat) {
		t.Errorf("NameID = %+v", a.Subject.NameID)
	}
	for _, st := range a.AuthnStatements {
		for _, c := range w.client.Jar.Cookies(mustURL(w.url)) {
			if st.SessionIndex == c.Value {
				t.Error("the SAML SessionIndex is the portal's session cookie")
			}
		}
	}
	got := map[string]string{}
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			if len(at.Values) > 0 {
				got[at.Name] = at.Values[0].Value
			}
		}
	}
	if got["login"] != "agent@acme.example" || got["email"] != "agent@acme.example" {
		t.Errorf("attributes = %v", got)
	}

	// SLO: callrec's logout request ends the portal session too.
	lo, err := w.sp.MakeRedirectLogoutRequest("agent@acme.example", "")
	if err != nil {
		t.Fatal(err)
	}
	noFollow := &http.Client{Jar: w.client.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Get(lo.String())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, w.callrec+"/saml/slo?SAMLResponse=") {
		t.Errorf("SLO answered %d, Location %q; want a LogoutResponse to the SP's SLO", res.StatusCode, loc)
	}
	if _, page = w.get("/dashboard"); !strings.Contains(page, `action="/signin"`) {
		t.Fatal("still signed in after SLO")
	}
	at, _, _ = strings.Cut(w.signIn(secret), " ")
	if at != "/dashboard" {
		t.Fatalf("sign-in after SLO ends at %s", at)
	}

	// callrec takes the license away: the changes feed carries it, the link goes.
	u := w.userByLogin("agent@acme.example")
	none := []string{}
	if _, err := w.accounts.UpdateUser(context.Background(), account.System, w.tenant.ID, u.ID, account.UserInput{Licenses: &none}); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(time.Minute)
	if err := w.portal.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, page = w.get("/dashboard"); strings.Contains(page, `id="connect"`) {
		t.Error("Connect still shown after the license went")
	}
	// A deletion reaches the portal as a tombstone.
	if err := w.accounts.DeleteUser(context.Background(), account.System, w.tenant.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(time.Minute)
	if err := w.portal.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, h := range w.portal.Holders() {
		if h.UserName == "agent@acme.example" {
			t.Error("the deleted user is still a holder")
		}
	}

	// Next sign-in: MFA with the enrolled key, terms already accepted.
	_, page = w.get("/dashboard")
	w.post("/signout", url.Values{"csrf": {csrfOf(t, page)}})
	if at, _, _ := strings.Cut(w.signIn(secret), " "); at != "/dashboard" {
		t.Errorf("second sign-in ends at %s", at)
	}
}

func (w *world) idpMetadata() *saml.EntityDescriptor {
	_, body := w.get("/saml/metadata")
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal([]byte(body), &ed); err != nil {
		w.t.Fatal(err)
	}
	return &ed
}

func (w *world) userByLogin(login string) store.User {
	c := &account.Caller{User: store.User{Role: roles.Admin, TenantID: w.tenant.ID}, TenantID: w.tenant.ID}
	us, err := w.accounts.AllUsers(context.Background(), c)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, u := range us {
		if u.Login == login {
			return u
		}
	}
	w.t.Fatalf("no user %s", login)
	return store.User{}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
