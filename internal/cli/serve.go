package cli

import (
	"callrec/internal/config"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
)

func listen(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }

func runServe(ctx context.Context, env *Env, args []string) int {
	var rolesFlag string
	cfg, _, err := parseConfig(env, "serve", args, func(fs *flag.FlagSet) {
		fs.StringVar(&rolesFlag, "roles", "", "comma-separated roles to run: web,recorder,teamsbot,worker (default all)")
	})
	if err != nil {
		fmt.Fprintln(env.Stderr, "callrec serve:", err)
		return 2
	}
	if rolesFlag != "" {
		cfg.Roles = rolesFlag
	}
	if err := config.CheckRoles(cfg.Roles); err != nil {
		fmt.Fprintln(env.Stderr, "callrec serve:", err)
		return 2
	}
	log := newLogger(env.Stderr, cfg.LogLevel)
	a, err := openApp(ctx, cfg, log, true)
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	defer a.close()
	if cfg.HasRole("web") {
		a.warnNoMail()
	}
	if cfg.HasRole("recorder") {
		wait, err := a.startRecorder(ctx)
		if err != nil {
			log.Error("cannot start the recorder", "err", err)
			return 1
		}
		defer func() {
			if err := wait(); err != nil {
				log.Error("recorder", "err", err)
			}
		}()
	}
	if cfg.HasRole("teamsbot") {
		a.startTeamsBot(ctx)
	}
	if cfg.HasRole("worker") {
		a.startWorker(ctx)
	}
	if err := a.serveListeners(ctx); err != nil {
		log.Error("http server", "err", err)
		return 1
	}
	return 0
}

// listener is one HTTP address this node serves and what it serves there.
type listener struct {
	addr, what string
	h          http.Handler
}

// listeners are the node's HTTP addresses: the portal and API (web role),
// the node-to-node routes (on CALLREC_INTERNAL_ADDR when set, else beside
// the portal, or alone on the HTTP address for a recorder without it) and
// /metrics on CALLREC_METRICS_ADDR when set.
func (a *app) listeners() []listener {
	web, rec := a.cfg.HasRole("web"), a.cfg.HasRole("recorder")
	var out []listener
	switch {
	case web:
		out = append(out, listener{a.cfg.HTTPAddr, "portal and API", a.handler()})
	case rec && a.cfg.InternalAddr == "":
		// A recorder without the portal still serves its spool to web nodes.
		out = append(out, listener{a.cfg.HTTPAddr, "recorder internal endpoint", a.internalHandler()})
	}
	if a.cfg.InternalAddr != "" && (web || rec) {
		out = append(out, listener{a.cfg.InternalAddr, "node-to-node routes", a.internalHandler()})
	}
	if a.cfg.MetricsAddr != "" {
		out = append(out, listener{a.cfg.MetricsAddr, "metrics", a.metricsHandler()})
	}
	return out
}

// serveListeners serves every listener until ctx ends or one fails.
func (a *app) serveListeners(ctx context.Context) error {
	ls := a.listeners()
	if len(ls) == 0 {
		<-ctx.Done()
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, len(ls))
	for _, l := range ls {
		go func() {
			errc <- serveHTTP(ctx, a.log, l.addr, l.h, func(addr string) {
				a.log.Info(l.what+" listening", "addr", addr, "public_url", a.cfg.PublicURL, "internal_url", a.cfg.InternalURL)
			})
		}()
	}
	var first error
	for range ls {
		if err := <-errc; err != nil && first == nil {
			first = err
			cancel()
		}
	}
	return first
}

func runMigrate(ctx context.Context, env *Env, args []string) int {
	cfg, _, err := parseConfig(env, "migrate", args, nil)
	if err != nil {
		fmt.Fprintln(env.Stderr, "callrec migrate:", err)
		return 2
	}
	log := newLogger(env.Stderr, cfg.LogLevel)
	a, err := openApp(ctx, cfg, log, true)
	if err != nil {
		log.Error("migrate failed", "err", err)
		return 1
	}
	a.close()
	fmt.Fprintln(env.Stdout, "schema is up to date")
	return 0
}
