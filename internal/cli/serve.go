package cli

import (
	"context"
	"flag"
	"fmt"
	"net"
	"strings"
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
	log := newLogger(env.Stderr, cfg.LogLevel)
	a, err := openApp(ctx, cfg, log, true)
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	defer a.close()
	if strings.Contains(cfg.Roles, "web") {
		a.warnNoMail()
	}
	if strings.Contains(cfg.Roles, "recorder") {
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
	if strings.Contains(cfg.Roles, "teamsbot") {
		a.startTeamsBot(ctx)
	}
	if strings.Contains(cfg.Roles, "worker") {
		a.startWorker(ctx)
	}
	if !strings.Contains(cfg.Roles, "web") {
		if !strings.Contains(cfg.Roles, "recorder") {
			<-ctx.Done()
			return 0
		}
		// A recorder without the portal still serves its spool to web nodes.
		err = serveHTTP(ctx, log, cfg.HTTPAddr, a.internalHandler(), func(addr string) {
			log.Info("recorder internal endpoint listening", "addr", addr, "internal_url", cfg.InternalURL)
		})
		if err != nil {
			log.Error("http server", "err", err)
			return 1
		}
		return 0
	}
	err = serveHTTP(ctx, log, cfg.HTTPAddr, a.handler(), func(addr string) {
		log.Info("portal and API listening", "addr", addr, "public_url", cfg.PublicURL)
	})
	if err != nil {
		log.Error("http server", "err", err)
		return 1
	}
	return 0
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
