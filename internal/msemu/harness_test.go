package msemu

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"callrec/internal/clock"
	"callrec/internal/msemu/mstest"
)

// testKey and testBotKey are generated once: RSA key generation is the
// slowest thing here.
var testKey, testBotKey *rsa.PrivateKey

func TestMain(m *testing.M) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	testKey = k
	if testBotKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

type seqIDs struct {
	mu sync.Mutex
	n  int
}

func (s *seqIDs) NewID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", s.n)
}

const testRedirect = "http://callrec.test/teams/callback"

type harness struct {
	t     *testing.T
	emu   *Emulator
	srv   *httptest.Server
	clock *clock.Fake
}

func newHarness(t *testing.T, delay time.Duration) *harness {
	t.Helper()
	h := &harness{t: t, clock: clock.NewFake()}
	h.srv = httptest.NewUnstartedServer(nil)
	base := "http://" + h.srv.Listener.Addr().String()
	emu, err := New(Options{BaseURL: base, Clock: h.clock, IDs: &seqIDs{}, SigningKey: testKey, BotSigningKey: testBotKey,
		AnswerDeadline: 500 * time.Millisecond, KeepAliveCheck: 20 * time.Millisecond,
		ReplicationDelay: delay, AppRedirectPrefix: "http://callrec.test/"})
	if err != nil {
		t.Fatal(err)
	}
	h.emu = emu
	h.srv.Config.Handler = emu
	h.srv.Start()
	t.Cleanup(h.srv.Close)
	return h
}

// consent grants callrec's app tenant-wide consent, as an admin would.
func (h *harness) consent(tenantID string) {
	h.emu.mu.Lock()
	defer h.emu.mu.Unlock()
	h.emu.applyAdminConsent(h.emu.w.Tenants[tenantID], h.emu.w.Apps[CallrecClientID])
}

// delegated returns an access token for a user and one resource's scope.
func (h *harness) delegated(upn, scope string) string {
	h.t.Helper()
	h.emu.mu.Lock()
	defer h.emu.mu.Unlock()
	t, u := h.emu.w.findUserByUPN(upn)
	app := h.emu.w.Apps[CallrecClientID]
	h.emu.applyAdminConsent(t, app)
	if _, refs, _ := parseScopes(scope); len(refs) > 0 && refs[0].Value != ".default" {
		h.emu.grantDelegated(t, app, refs, "Principal", u.ID)
	}
	resp, err := h.emu.delegatedTokens(app, t.ID, u.ID, "openid offline_access "+scope, scope, "")
	if err != nil {
		h.t.Fatalf("delegated token for %s: %v", upn, err)
	}
	return resp.AccessToken
}

// appOnly returns a client-credentials token through the token endpoint.
func (h *harness) appOnly(tenantID, scope string) string {
	h.t.Helper()
	h.consent(tenantID)
	var tok tokenResponse
	res := h.form(tenantID+"/oauth2/v2.0/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {CallrecClientID}, "client_secret": {CallrecSecret}, "scope": {scope}}, &tok)
	if res.StatusCode != http.StatusOK {
		h.t.Fatalf("client credentials: %d", res.StatusCode)
	}
	return tok.AccessToken
}

func (h *harness) form(path string, v url.Values, out any) *http.Response {
	h.t.Helper()
	res, err := http.PostForm(h.srv.URL+"/"+path, v)
	if err != nil {
		h.t.Fatal(err)
	}
	decodeInto(h.t, res, out)
	return res
}

// call makes a JSON request with a bearer token and decodes the answer.
func (h *harness) call(method, path, token string, body any, out any) *http.Response {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, h.srv.URL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	decodeInto(h.t, res, out)
	return res
}

func decodeInto(t *testing.T, res *http.Response, out any) {
	t.Helper()
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("decode %s: %v", b, err)
		}
	}
}

// graphErrorOf extracts error.code from a Graph or Teams error body.
type errBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// browser is a person's browser (mstest's, sharing its Get and Post) that
// stops at callrec's redirect URI, handing the code to callrec.
type browser struct {
	*mstest.Browser
	t *testing.T
}

func newBrowser(t *testing.T) *browser {
	b := mstest.New(t, "")
	b.C.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Host == "callrec.test" {
			return http.ErrUseLastResponse
		}
		return nil
	}
	return &browser{Browser: b, t: t}
}

var (
	flowRe   = regexp.MustCompile(`name="flow" value="([^"]+)"`)
	actionRe = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
)

// signIn drives a sign-in page through username and password and returns
// the page that follows (consent, or the redirect).
func (b *browser) signIn(page, upn, password string) (*http.Response, string) {
	b.t.Helper()
	flow, action := match(b.t, flowRe, page), match(b.t, actionRe, page)
	_, page = b.Post(action, url.Values{"flow": {flow}, "step": {"username"}, "loginfmt": {upn}})
	if !strings.Contains(page, "Enter password") {
		b.t.Fatalf("want password page, got %s", page)
	}
	return b.Post(action, url.Values{"flow": {flow}, "step": {"password"}, "loginfmt": {upn}, "passwd": {password}})
}

// decide answers a consent page with accept or cancel.
func (b *browser) decide(page, decision string) *http.Response {
	b.t.Helper()
	if !strings.Contains(page, "Permissions requested") && !strings.Contains(page, "Need admin approval") {
		b.t.Fatalf("want consent page, got %s", page)
	}
	res, _ := b.Post(match(b.t, actionRe, page), url.Values{"flow": {match(b.t, flowRe, page)}, "step": {"consent"}, "decision": {decision}})
	return res
}

func match(t *testing.T, re *regexp.Regexp, s string) string {
	t.Helper()
	m := re.FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no %s in %s", re, s)
	}
	return strings.ReplaceAll(m[1], "&amp;", "&")
}

func redirectParams(t *testing.T, res *http.Response) url.Values {
	t.Helper()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("want 302, got %d", res.StatusCode)
	}
	u, err := url.Parse(res.Header.Get("Location"))
	if err != nil || u.Host != "callrec.test" {
		t.Fatalf("redirect to %q", res.Header.Get("Location"))
	}
	return u.Query()
}
