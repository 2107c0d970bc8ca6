package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"callrec/internal/account"
	"callrec/internal/blob"
	"callrec/internal/events"
	"callrec/internal/principal"
	"callrec/internal/recorder"
	"callrec/internal/roles"
	"callrec/internal/store"
	"callrec/internal/web"
)

// eventBus is the process's live-update bus. On PostgreSQL it is shared
// across nodes through the database (a web node shows the calls a
// recorder node holds); on SQLite, one process, it stays in-process.
func (a *app) eventBus() events.Bus {
	if a.bus == nil {
		if a.db.Dialect() == store.Postgres {
			sh := events.NewShared(a.db.SharedEvents(), a.log)
			a.bus, a.closeBus = sh, sh.Close
		} else {
			a.bus = events.NewLocal()
		}
	}
	return a.bus
}

func (a *app) spoolDir() string { return filepath.Join(a.cfg.DataDir, "spool") }

// recordings is what the web role plays calls from; nil if the blob store
// URL is unusable (logged), so the rest of the portal still works.
func (a *app) recordings() *recorder.Library {
	blobs, err := blob.Open(a.cfg.BlobURL)
	if err != nil {
		a.log.Error("blob store unavailable; call audio cannot be played", "err", err)
		return nil
	}
	return &recorder.Library{Spool: a.spoolDir(), Blobs: blobs, Nodes: a.nodes()}
}

// nodes is this node's part in cross-node playback: the key that signs
// internal requests (CALLREC_INTERNAL_SECRET, else the database's shared
// secret) and the node registry; nil, logged, if the key is unavailable,
// so only calls held by this node's own spool play before upload.
func (a *app) nodes() *recorder.Nodes {
	key := a.cfg.InternalSecret
	if key == "" {
		var err error
		if key, err = a.clusterSecret("internal"); err != nil {
			a.log.Error("no internal secret; calls held by other recorder nodes play only once uploaded", "err", err)
			return nil
		}
	}
	return &recorder.Nodes{DB: a.db, Self: a.cfg.Node, Key: []byte(key)}
}

// clusterSecret is a secret every node on the database shares, stored
// sealed with the installation's key (CALLREC_ENCRYPTION_KEY, which nodes
// must then share too). One stored in the clear by an earlier version is
// still accepted.
func (a *app) clusterSecret(name string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var b [32]byte
	_, _ = rand.Read(b[:])
	stored, err := a.db.Q().ClusterSecret(ctx, name, sealedPrefix+a.box.Seal([]byte(hex.EncodeToString(b[:])), "cluster:"+name))
	if err != nil {
		return "", err
	}
	sealed, ok := strings.CutPrefix(stored, sealedPrefix)
	if !ok {
		return stored, nil
	}
	plain, err := a.box.Open(sealed, "cluster:"+name)
	if err != nil {
		return "", fmt.Errorf("the shared %s secret was sealed with another key: give every node the same CALLREC_ENCRYPTION_KEY: %w", name, err)
	}
	return string(plain), nil
}

// sealedPrefix marks a sealed value in the database.
const sealedPrefix = "sealed:"

// internalHandler is what a recorder node without the web role serves on
// CALLREC_HTTP_ADDR: its spool to other nodes, and /healthz.
func (a *app) internalHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	if a.cfg.MetricsAddr == "" {
		mux.Handle("GET /metrics", web.MetricsFor(a.metrics, a.log))
	}
	if lib := a.recordings(); lib != nil && lib.Nodes != nil {
		mux.HandleFunc(recorder.SpoolRoute, lib.ServeSpool)
	}
	if l := a.live(); l.Nodes != nil && l.Rec != nil {
		mux.HandleFunc(recorder.LiveRoute, l.ServeInternal)
	}
	return a.guard.HTTP((&principal.Resolver{Auth: a.auth, DB: a.db}).Middleware(mux))
}

// metricsHandler is /metrics alone, for CALLREC_METRICS_ADDR: a private
// address a scraper reaches without a token.
func (a *app) metricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.metrics, promhttp.HandlerOpts{}))
	return mux
}

// startRecorder runs the SIPREC recorder until ctx ends; the returned
// function waits for it to stop.
func (a *app) startRecorder(ctx context.Context) (func() error, error) {
	wait, _, err := a.runRecorder(ctx)
	return wait, err
}

// runRecorder starts the recorder and returns once it listens (with its SIP
// address) or has failed to start.
func (a *app) runRecorder(ctx context.Context) (wait func() error, sipAddr string, err error) {
	blobs, err := blob.Open(a.cfg.BlobURL)
	if err != nil {
		return nil, "", err
	}
	mediaIP := netip.MustParseAddr("127.0.0.1")
	if host, _, err := net.SplitHostPort(a.cfg.SIPAddr); err == nil && host != "" {
		if ip, err := netip.ParseAddr(host); err == nil && !ip.IsUnspecified() {
			mediaIP = ip
		}
	}
	if a.cfg.MediaIP != "" {
		// Config.Finish has validated it.
		mediaIP = netip.MustParseAddr(a.cfg.MediaIP)
	}
	rec, err := recorder.New(recorder.Config{SIPAddr: a.cfg.SIPAddr, RTPPorts: a.cfg.RTPPorts, MediaIP: mediaIP,
		MaxCalls: a.cfg.MaxCalls, RTPTimeout: a.cfg.RTPTimeout, SpoolDir: a.spoolDir(), Node: a.cfg.Node, InternalURL: a.cfg.InternalURL, Admit: a.teamsAdmit(),
		Guard: a.guard, Metrics: a.metrics, Encoders: a.encoders(), Offload: a.offload(),
		TrustedProxies: a.cfg.SIPTrustedProxies}, a.db, blobs, a.eventBus(), a.log, nil)
	if err != nil {
		return nil, "", err
	}
	a.rec = rec
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- rec.Run(ctx, func(addr string) { ready <- addr }) }()
	select {
	case addr := <-ready:
		return func() error { return <-done }, addr, nil
	case err := <-done:
		return nil, "", err
	}
}

// demoSIPSource registers 127.0.0.1 as a SIPREC source of the demo tenant,
// and an agent with extension 2001 (whom siprec-load's calls name by
// default) who is always recorded, so that `callrec siprec-load` against the
// demo records calls that show in the portal and the API. Running the demo
// again keeps what is there.
func demoSIPSource(ctx context.Context, a *app, tenantName string) error {
	t, err := a.db.Q().FindTenant(ctx, tenantName)
	if err != nil {
		return err
	}
	sources, err := a.db.Q().ListSIPSources(ctx, t.ID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(sources, func(s store.SIPSource) bool { return s.Address == "127.0.0.1" }) {
		now := a.db.Now()
		src := store.SIPSource{ID: account.NewID(), TenantID: t.ID, Name: "Demo SBC (siprec-load)", Address: "127.0.0.1", CreatedAt: now, UpdatedAt: now}
		if err := a.db.Q().InsertSIPSource(ctx, src); err != nil {
			return err
		}
	}
	login := "agent@contoso.example"
	if _, err := a.db.Q().GetUserByLogin(ctx, login); err == nil {
		return nil
	}
	name, role, pw, record, portal := "Jordan Reyes", roles.User, "Contoso#2026", "always", false
	exts, lic := []string{"2001"}, []string{"call_recording"}
	_, err = a.accounts.CreateUser(ctx, account.System, t.ID, account.UserInput{Name: &name, Login: &login, Role: &role, Password: &pw,
		Email: &login, PortalAccess: &portal, Extensions: &exts, Licenses: &lic, Record: &record})
	return err
}

// printRecorder tells how to send the demo's recorder SIPREC calls.
func printRecorder(w io.Writer, sipAddr string) {
	_, port, _ := net.SplitHostPort(sipAddr)
	target := net.JoinHostPort("127.0.0.1", port)
	fmt.Fprintf(w, "\nSIPREC recorder listening on %s (UDP and TCP); source 127.0.0.1 is registered for Contoso.\n", sipAddr)
	fmt.Fprintln(w, "Place recorded test calls (extension 2001, Jordan Reyes) and watch them under Calls / GET /api/v1/calls:")
	fmt.Fprintf(w, "  go run ./cmd/callrec siprec-load --target %s --calls 5 --concurrency 5 --duration 10s\n", target)
}
