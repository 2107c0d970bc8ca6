// Package msemu emulates the parts of the Microsoft cloud that callrec talks
// to: the identity platform (login.microsoftonline.com), Microsoft Graph's
// directory endpoints, the Teams admin API and the Microsoft 365 admin
// center pages a person uses. It is to Microsoft what LocalStack is to AWS:
// callrec reaches it through the same paths and payloads, only base URLs differ.
//
// All hosts share one server under one base URL: the login host at BASE/,
// Graph at BASE/v1.0, the Teams admin API at BASE/teams, the admin center at
// BASE/admin and the emulator's own control API at BASE/emu.
package msemu

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// TeamsAdminPrefix is where the Teams admin API host lives under the base URL.
const TeamsAdminPrefix = "/teams"

// Clock tells the time; tests pass a fake one to step through replication
// delays and token lifetimes.
type Clock interface {
	Now() time.Time
}

// IDs generates object ids (GUIDs in Microsoft's cloud).
type IDs interface {
	NewID() string
}

// Options configures an Emulator. Zero values give a working emulator.
type Options struct {
	// BaseURL is the externally visible URL of the emulator, e.g.
	// "http://localhost:9000". It appears in tokens, links and redirects.
	BaseURL string
	Clock   Clock
	IDs     IDs
	Logger  *slog.Logger
	// ReplicationDelay hides new objects from reads and dependent writes
	// for this long, as Microsoft's eventually consistent directory does.
	ReplicationDelay time.Duration
	// AppRedirectURIs are the exact redirect URIs registered for callrec's app.
	AppRedirectURIs []string
	// AppRedirectPrefix, when set, admits any redirect URI that starts with
	// it (callrec's public URL varies between installations).
	AppRedirectPrefix string
	// CallingWebhookURL is the bot's calling webhook of callrec's app.
	CallingWebhookURL string
	// SigningKey signs tokens; a fresh 2048-bit key is made when nil.
	SigningKey *rsa.PrivateKey
	// BotSigningKey signs the Bot Framework tokens on calling
	// notifications; a fresh 2048-bit key is made when nil.
	BotSigningKey *rsa.PrivateKey
	// AnswerDeadline is how long (real time) a recording bot has to answer
	// an incoming call notification; 5 s, Microsoft's limit, when zero.
	AnswerDeadline time.Duration
	// KeepAliveCheck is how often (real time) connected calls look for bot
	// legs whose keepAlive expired on the emulator clock; 1 s when zero.
	KeepAliveCheck time.Duration
	// HTTPClient delivers calling notifications; one with a 10 s timeout
	// when nil.
	HTTPClient *http.Client
	// EventLimit bounds the event log; 10000 when zero.
	EventLimit int
}

// Emulator is an in-memory Microsoft cloud. It implements http.Handler.
type Emulator struct {
	opts    Options
	clock   Clock
	ids     IDs
	log     *slog.Logger
	key     *rsa.PrivateKey
	kid     string
	retired []*rsa.PrivateKey // rolled-over signing keys, still published
	botKey  *rsa.PrivateKey
	botKid  string
	calls   *callBook
	http    *http.Client
	mux     *http.ServeMux
	pages   *template.Template
	events  *eventLog
	faults  *faultBook

	mu    sync.Mutex
	w     *world
	delay time.Duration
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

type uuidIDs struct{}

func (uuidIDs) NewID() string { return uuid.NewString() }

// New builds an emulator seeded with Contoso, Fabrikam and callrec's app.
func New(o Options) (*Emulator, error) {
	if o.BaseURL == "" {
		o.BaseURL = "http://localhost:9000"
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	e := &Emulator{opts: o, clock: o.Clock, ids: o.IDs, log: o.Logger, key: o.SigningKey, delay: o.ReplicationDelay}
	if e.clock == nil {
		e.clock = realClock{}
	}
	if e.ids == nil {
		e.ids = uuidIDs{}
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.key == nil {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("msemu: signing key: %w", err)
		}
		e.key = k
	}
	e.kid = keyID(&e.key.PublicKey)
	if o.BotSigningKey == nil {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("msemu: bot signing key: %w", err)
		}
		o.BotSigningKey = k
	}
	setBotKey(e, o.BotSigningKey)
	e.http = o.HTTPClient
	if e.http == nil {
		e.http = &http.Client{Timeout: 10 * time.Second}
	}
	e.calls = newCallBook()
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	e.pages = pages
	e.events = newEventLog(o.EventLimit)
	e.faults = &faultBook{}
	e.w = seedWorld(&o)
	e.mux = e.routes()
	return e, nil
}

// ServeHTTP records the call in the event log, applies scripted faults and
// dispatches to the emulated host.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	start := e.clock.Now()
	if !strings.HasPrefix(r.URL.Path, "/emu/") && e.injectFault(rec, r) {
		e.recordHTTP(r, rec.status, start)
		return
	}
	r.Body = http.MaxBytesReader(rec, r.Body, maxBody)
	e.mux.ServeHTTP(rec, r)
	if !strings.HasPrefix(r.URL.Path, "/emu/events") {
		e.recordHTTP(r, rec.status, start)
	}
}

const maxBody = 1 << 20

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Config is what callrec needs to talk to this emulator.
type Config struct {
	LoginURL      string  `json:"CALLREC_MS_LOGIN_URL"`
	GraphURL      string  `json:"CALLREC_MS_GRAPH_URL"`
	TeamsAdminURL string  `json:"CALLREC_MS_TEAMS_ADMIN_URL"`
	BotOpenIDURL  string  `json:"CALLREC_MS_BOT_OPENID_URL"`
	ClientID      string  `json:"client_id"`
	ClientSecret  string  `json:"client_secret"`
	AdminCenter   string  `json:"admin_center_url"`
	MyApps        string  `json:"my_apps_url"`
	Tenants       []Login `json:"logins"`
}

// Login is a seeded account a person or test can sign in with.
type Login struct {
	Tenant   string `json:"tenant"`
	TenantID string `json:"tenant_id"`
	UPN      string `json:"upn"`
	Password string `json:"password"`
	Role     string `json:"role"`
}

// Config returns the CALLREC_MS_* values and the app's credentials.
func (e *Emulator) Config() Config {
	b := e.opts.BaseURL
	return Config{
		LoginURL: b, GraphURL: b, TeamsAdminURL: b + TeamsAdminPrefix, BotOpenIDURL: b + botOpenIDPath,
		ClientID: CallrecClientID, ClientSecret: CallrecSecret,
		AdminCenter: b + "/admin", MyApps: b + "/myapps",
		Tenants: []Login{
			{"Contoso", ContosoTenantID, "AdeleV@" + ContosoDomain, AdminPassword, "Global Administrator"},
			{"Contoso", ContosoTenantID, "LeeG@" + ContosoDomain, AdminPassword, "Teams Administrator"},
			{"Contoso", ContosoTenantID, "AlexW@" + ContosoDomain, UserPassword, "user"},
			{"Fabrikam", FabrikamTenantID, "MonaK@" + FabrikamDomain, FabrikamPassword, "Global Administrator"},
		},
	}
}

// SetReplicationDelay changes the replication delay at run time.
func (e *Emulator) SetReplicationDelay(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.delay = d
}

// visible reports whether an object created at t has replicated.
func (e *Emulator) visible(created time.Time) bool {
	return !e.clock.Now().Before(created.Add(e.delay))
}

// DropApplicationPermission removes an application permission (e.g.
// "Calls.AccessMedia.All" of Microsoft Graph) from callrec's app
// registration, as a provider whose registration in Entra lacks it would
// have: an admin consent then grants the others only.
func (e *Emulator) DropApplicationPermission(resourceAppID, role string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	app := e.w.Apps[CallrecClientID]
	app.Application[resourceAppID] = slices.DeleteFunc(slices.Clone(app.Application[resourceAppID]), func(r string) bool { return r == role })
}
