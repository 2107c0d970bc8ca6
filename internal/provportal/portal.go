// Package provportal is a SIMULATED service provider's customer portal (the
// guide's "Cloud Services Portal"), for demos and tests only. A provider
// that resells callrec runs a portal of its own, where its customers' users
// sign in and find "Call Recording – Connect"; callrec never sees that
// portal's code. This emulator plays it so that callrec's side of the
// contract can be exercised end to end: it is a real SAML 2.0 identity
// provider (github.com/crewjam/saml, signing with a key it generates) and a
// real SCIM 2.0 client of callrec, and it shares no code with callrec — it
// imports none of callrec's packages, and speaks only the wire protocols —
// so a misunderstanding of either protocol cannot hide by being made twice
// from one struct. See README.md beside this file and docs/provider-portal.md.
package provportal

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/crewjam/saml"
)

// Clock is the emulator's time source; tests pass a fake one.
type Clock interface{ Now() time.Time }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// Account is a user of the provider's portal. Logins are matched to callrec
// users by the SCIM userName.
type Account struct {
	Login    string
	Password string
	Name     string
	Admin    bool // sees Admin Tools → Call Recording
}

// Options configure the emulator.
type Options struct {
	PublicURL     string // where the portal is reached, e.g. http://127.0.0.1:8090
	CallrecURL    string // callrec's base URL (SCIM at /scim/v2, SAML SP at /saml/…)
	SCIMToken     string // a SCIM token callrec's provider admin issued for the tenant
	SPMetadataURL string // default CallrecURL + "/saml/metadata"
	Accounts      []Account
	SyncEvery     time.Duration // default 15 minutes
	TermsVersion  int           // default 1
	Clock         Clock
	Log           *slog.Logger
	HTTPClient    *http.Client
}

// Portal is the emulated provider portal.
type Portal struct {
	opt     Options
	mux     *http.ServeMux
	idp     *saml.IdentityProvider
	spCache *spMetadata

	mu       sync.Mutex
	accounts map[string]*account // by lower-case login
	sessions map[string]*session // by id
	holders  map[string]*Holder  // by lower-case userName
	cursor   string              // the changes feed's position
	lastSync time.Time
	syncErr  string
}

// New builds the portal. It refuses accounts whose password breaks the
// portal's own rule.
func New(opt Options) (*Portal, error) {
	if opt.Clock == nil {
		opt.Clock = realClock{}
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.HTTPClient == nil {
		opt.HTTPClient = &http.Client{Timeout: 20 * time.Second}
	}
	if opt.SyncEvery <= 0 {
		opt.SyncEvery = 15 * time.Minute
	}
	if opt.TermsVersion <= 0 {
		opt.TermsVersion = 1
	}
	opt.PublicURL = strings.TrimSuffix(opt.PublicURL, "/")
	opt.CallrecURL = strings.TrimSuffix(opt.CallrecURL, "/")
	if opt.SPMetadataURL == "" {
		opt.SPMetadataURL = opt.CallrecURL + "/saml/metadata"
	}
	p := &Portal{opt: opt, accounts: map[string]*account{}, sessions: map[string]*session{}, holders: map[string]*Holder{}}
	for _, a := range opt.Accounts {
		if err := PasswordRule(a.Password); err != nil {
			return nil, fmt.Errorf("provportal: account %s: %w", a.Login, err)
		}
		h, err := hashPassword(a.Password)
		if err != nil {
			return nil, err
		}
		p.accounts[strings.ToLower(a.Login)] = &account{Account: a, hash: h}
	}
	if err := p.newIdP(); err != nil {
		return nil, err
	}
	p.routes()
	return p, nil
}

// ServeHTTP serves the portal.
func (p *Portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Referrer-Policy", "same-origin")
	p.mux.ServeHTTP(w, r)
}

func (p *Portal) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", p.home)
	m.HandleFunc("GET /signin", p.signInPage)
	m.HandleFunc("POST /signin", p.signIn)
	m.HandleFunc("GET /mfa", p.mfaPage)
	m.HandleFunc("POST /mfa", p.mfa)
	m.HandleFunc("GET /terms", p.termsPage)
	m.HandleFunc("POST /terms", p.acceptTerms)
	m.HandleFunc("POST /signout", p.signOut)
	m.HandleFunc("GET /dashboard", p.dashboard)
	m.HandleFunc("GET /connect", p.connect)
	m.HandleFunc("GET /admin/call-recording", p.adminPage)
	m.HandleFunc("POST /admin/call-recording/sync", p.syncNow)
	m.HandleFunc("POST /admin/call-recording/access", p.setAccess)
	m.HandleFunc("GET /saml/metadata", p.idp.ServeMetadata)
	m.HandleFunc("/saml/sso", p.idp.ServeSSO)
	m.HandleFunc("/saml/slo", p.idp.ServeSLO)
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	p.mux = m
}

// Run syncs now and then every SyncEvery until ctx ends.
func (p *Portal) Run(ctx context.Context) {
	t := time.NewTicker(p.opt.SyncEvery)
	defer t.Stop()
	for {
		if err := p.Sync(ctx); err != nil && ctx.Err() == nil {
			p.opt.Log.Warn("provider portal: SCIM sync failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func randomID() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
