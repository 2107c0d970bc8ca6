// Package web assembles the HTTP server: the portal, the REST API, health
// and metrics endpoints, and the middleware every request passes through.
package web

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"callrec/internal/account"
	"callrec/internal/analytics"
	"callrec/internal/api"
	"callrec/internal/auth"
	"callrec/internal/blob"
	"callrec/internal/brand"
	"callrec/internal/evaluations"
	"callrec/internal/events"
	"callrec/internal/integration"
	"callrec/internal/principal"
	"callrec/internal/recorder"
	"callrec/internal/recordings"
	"callrec/internal/recovery"
	"callrec/internal/roles"
	"callrec/internal/scim"
	"callrec/internal/secretbox"
	"callrec/internal/sso"
	"callrec/internal/store"
	"callrec/internal/transcripts"
	"callrec/internal/ui"
)

// Deps are the services the web layer serves.
type Deps struct {
	DB            *store.DB
	Accounts      *account.Service
	Auth          *auth.Service
	SSO           *sso.Service // SAML 2.0 single sign-on (nil: not offered)
	Log           *slog.Logger
	SecureCookies bool
	PublicURL     string
	Recordings    *recorder.Library // call audio for the API
	Events        events.Bus        // live updates for /api/v1/events
	Integrations  *integration.Service
	// Brand is the provider's white label (nil: one on DB).
	Brand *brand.Service
	// SignInOrigins are outside origins a portal form may lead to through
	// redirects (Microsoft's sign-in for the Teams wizard); CSP's
	// form-action covers the whole redirect chain of a form post.
	SignInOrigins []string
	// Bot is the Teams calling webhook (nil when this node runs no bot).
	Bot http.Handler
	// PauseControl acts on live calls when recording pauses.
	PauseControl recordings.Controller
	// Live connects live-monitoring listeners to the recorder holding a
	// call (nil: live monitoring unavailable).
	Live *recorder.Live
	// Metrics is the process's registry, shared with the recorder (nil: a
	// registry of the handler's own).
	Metrics *prometheus.Registry
	// Guard recovers a panicking request (nil: recovered and logged only).
	Guard *recovery.Guard
	// InternalElsewhere: the node-to-node routes listen on their own
	// address (CALLREC_INTERNAL_ADDR), not here.
	InternalElsewhere bool
	// MetricsElsewhere: /metrics listens on its own address
	// (CALLREC_METRICS_ADDR), not here.
	MetricsElsewhere bool
	// Box seals the speech engine's API key (nil: a key of the process's
	// own, for tests).
	Box *secretbox.Box
}

// Server is the root handler with the two route tables it serves: the
// permission walk reads them to try every route as every role.
type Server struct {
	http.Handler
	API    []api.Route
	Portal []ui.Route
}

// New returns the root handler.
func New(d Deps) http.Handler { return Build(d) }

// Build assembles the root handler and keeps the route tables it registered.
func Build(d Deps) *Server {
	reg := d.Metrics
	if reg == nil {
		reg = NewRegistry()
	}
	guard := d.Guard
	if guard == nil {
		guard = recovery.New(d.Log, reg)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", readyz(d.DB))
	if !d.MetricsElsewhere {
		mux.Handle("GET /metrics", MetricsFor(reg, d.Log))
	}
	calls := workspace(d)
	if d.Brand == nil && d.DB != nil {
		d.Brand = brand.New(d.DB, nil)
	}
	speech := speechAnalytics(d, calls)
	insights := &analytics.Service{DB: d.DB, Accounts: d.Accounts, Recordings: calls, Box: speech.Box, Log: d.Log, Now: d.DB.Now}
	evals := &evaluations.Service{DB: d.DB, Accounts: d.Accounts, Calls: calls, Transcripts: evaluations.StoredTranscripts{DB: d.DB}}
	rest := &api.Handler{Accounts: d.Accounts, Auth: d.Auth, Calls: calls, Evaluations: evals, Log: d.Log, SecureCookies: d.SecureCookies,
		Recordings: d.Recordings, Events: d.Events, Integrations: d.Integrations, Live: d.Live,
		Guard: guard, Brand: d.Brand, SSO: d.SSO, Transcripts: speech, Analytics: insights}
	rest.Register(mux)
	portal := &ui.Handler{Accounts: d.Accounts, Auth: d.Auth, Calls: calls, Evaluations: evals, Log: d.Log, SecureCookies: d.SecureCookies,
		Integrations: d.Integrations, Brand: d.Brand, SSO: d.SSO, Transcripts: speech, Analytics: insights}
	portal.Register(mux)

	if sc, err := scim.New(d.Accounts, d.Log, d.PublicURL); err != nil {
		panic(err) // a fixed configuration: fails in every test or never
	} else {
		mux.Handle(scim.Prefix+"/", sc) // its own bearer tokens and RFC 7644 errors
	}
	if d.Bot != nil {
		mux.Handle("POST /api/teams/calling", d.Bot)
	}
	if d.Recordings != nil && d.Recordings.Nodes != nil && !d.InternalElsewhere {
		mux.HandleFunc(recorder.SpoolRoute, d.Recordings.ServeSpool) // signed node-to-node requests only
	}
	if d.Live != nil && d.Live.Rec != nil && d.Live.Nodes != nil && !d.InternalElsewhere {
		mux.HandleFunc(recorder.LiveRoute, d.Live.ServeInternal) // signed node-to-node requests only
	}

	resolver := &principal.Resolver{Auth: d.Auth, DB: d.DB}
	hsts := strings.HasPrefix(d.PublicURL, "https://")
	h := logRequests(d.Log, requestCounter(reg), guard.HTTP(securityHeaders(d.SignInOrigins, hsts, resolver.Middleware(mux))))
	return &Server{Handler: h, API: rest.Routes(), Portal: portal.Routes()}
}

// requestCounter counts requests by method and status class in reg.
func requestCounter(reg *prometheus.Registry) *prometheus.CounterVec {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "callrec_http_requests_total",
		Help: "HTTP requests by method and status class."}, []string{"method", "code"})
	if err := reg.Register(requests); err != nil {
		// A second handler on the process's registry counts into the first's.
		var are prometheus.AlreadyRegisteredError
		if !errors.As(err, &are) {
			panic(err)
		}
		requests = are.ExistingCollector.(*prometheus.CounterVec)
	}
	return requests
}

// workspace is the recordings service the portal asks about calls: the
// one scope, permission and audit logic the API and the worker use too.
func workspace(d Deps) *recordings.Service {
	var blobs blob.Store
	if d.Recordings != nil {
		blobs = d.Recordings.Blobs
	}
	return &recordings.Service{DB: d.DB, Accounts: d.Accounts, Blobs: blobs, Bus: d.Events, Log: d.Log, Now: d.DB.Now,
		Control: d.PauseControl}
}

// speechAnalytics is the transcripts service the portal and the API show
// transcripts and engine settings through; the worker runs its own.
func speechAnalytics(d Deps, calls *recordings.Service) *transcripts.Service {
	box := d.Box
	if box == nil {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			panic(err)
		}
		box, _ = secretbox.New(key)
	}
	return &transcripts.Service{DB: d.DB, Accounts: d.Accounts, Recordings: calls, Box: box, Bus: d.Events, Log: d.Log, Now: d.DB.Now}
}

// MetricsFor serves reg to a caller holding metrics.view (a provider
// admin's bearer token or session): the figures describe every tenant's
// traffic. Behind principal.Resolver's middleware.
func MetricsFor(reg *prometheus.Registry, log *slog.Logger) http.Handler {
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := principal.From(r.Context())
		switch {
		case p == nil:
			w.Header().Set("WWW-Authenticate", `Bearer realm="callrec"`)
			http.Error(w, "metrics need a bearer token with the metrics.view permission (or CALLREC_METRICS_ADDR)", http.StatusUnauthorized)
		case !p.FullyAuthenticated() || !p.Can(roles.MetricsView) || p.Token != nil && !p.Can(roles.APIAccess):
			http.Error(w, "your role does not allow reading metrics", http.StatusForbidden)
		default:
			metrics.ServeHTTP(w, r)
		}
	})
}

// NewRegistry is a metrics registry with the Go runtime's and the
// process's collectors, which every node exports.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

func readyz(db *store.DB) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	}
}

// securityHeaders sets headers every response should carry; hsts adds
// Strict-Transport-Security (the public URL is https).
func securityHeaders(signIn []string, hsts bool, next http.Handler) http.Handler {
	formAction := strings.TrimSpace("'self' " + strings.Join(signIn, " "))
	csp := "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action " + formAction
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", csp)
		next.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// logRequests logs each request (never its query string, which may carry a
// reset token) and counts it.
func logRequests(log *slog.Logger, counter *prometheus.CounterVec, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		counter.WithLabelValues(r.Method, strconv.Itoa(sw.status/100)+"xx").Inc()
		log.Debug("http", "method", r.Method, "path", r.URL.Path, "status", sw.status, "ms", time.Since(start).Milliseconds())
	})
}
