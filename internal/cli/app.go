package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"callrec/internal/account"
	"callrec/internal/auth"
	"callrec/internal/brand"
	"callrec/internal/config"
	"callrec/internal/events"
	"callrec/internal/httpserver"
	"callrec/internal/integration"
	"callrec/internal/mail"
	"callrec/internal/recorder"
	"callrec/internal/recovery"
	"callrec/internal/secretbox"
	"callrec/internal/sso"
	"callrec/internal/store"
	"callrec/internal/teamsbot"
	"callrec/internal/web"
)

// app is callrec's services wired on one store.
type app struct {
	cfg      config.Config
	log      *slog.Logger
	db       *store.DB
	accounts *account.Service
	auth     *auth.Service
	bus      events.Bus // see eventBus
	closeBus func()     // stops a shared bus
	integ    *integration.Service
	bot      *teamsbot.Bot
	rec      *recorder.Recorder // this process's recorder, once started
	metrics  *prometheus.Registry
	guard    *recovery.Guard
	box      *secretbox.Box // seals secrets at rest
	brand    *brand.Service // the provider's white label
	sso      *sso.Service   // SAML 2.0 service provider
}

// parseConfig reads the environment, then the subcommand's flags.
func parseConfig(env *Env, name string, args []string, extra func(fs *flag.FlagSet)) (config.Config, []string, error) {
	cfg := config.Load(env.Getenv)
	fs := flag.NewFlagSet("callrec "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cfg.RegisterFlags(fs)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return cfg, nil, err
	}
	return cfg, fs.Args(), cfg.Finish()
}

// openApp connects to the store and builds the services. With migrate it
// brings the schema up to date first; without, it insists the schema matches.
func openApp(ctx context.Context, cfg config.Config, log *slog.Logger, migrate bool) (*app, error) {
	// The data directory holds the database, the key file and the spool:
	// its owner's only.
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	if err := os.Chmod(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	box, err := secretbox.Load(cfg.EncryptionKey, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL, nil)
	if err != nil {
		return nil, err
	}
	if migrate {
		applied, err := db.Migrate(ctx)
		if err != nil {
			db.Close()
			return nil, err
		}
		for _, m := range applied {
			log.Info("migration applied", "name", m)
		}
	} else if err := db.CheckSchema(ctx); err != nil {
		db.Close()
		return nil, err
	}
	var sender mail.Sender = mail.LogSender{Log: log}
	if cfg.SMTPURL != "" {
		s, err := mail.NewSMTP(cfg.SMTPURL)
		if err != nil {
			db.Close()
			return nil, err
		}
		sender = s
	}
	a := &app{cfg: cfg, log: log, db: db, accounts: account.New(db, nil), metrics: web.NewRegistry(), box: box, brand: brand.New(db, nil)}
	a.guard = recovery.New(log, a.metrics)
	a.auth = auth.NewService(db, auth.Options{Mail: sender, Log: log, PublicURL: cfg.PublicURL,
		Limits: auth.Limits{PerIP: cfg.SignInPerIP, PerLogin: cfg.SignInPerLogin}, Box: box,
		Product: func(ctx context.Context) string { return a.brand.Current(ctx).ProductName }})
	if a.sso, err = sso.New(ctx, db, a.auth, sso.Options{Log: log, PublicURL: cfg.PublicURL, Box: box}); err != nil {
		db.Close()
		return nil, err
	}
	if migrate {
		if n, err := a.auth.SealStoredSecrets(ctx); err != nil {
			db.Close()
			return nil, err
		} else if n > 0 {
			log.Info("2-step secrets sealed at rest", "users", n)
		}
	}
	return a, nil
}

// close waits for reset mails on their way, writes the sign-in attempts
// not yet audited, and closes the store.
func (a *app) close() {
	if a.closeBus != nil {
		a.closeBus()
	}
	a.auth.FlushMail()
	a.auth.FlushAttempts(context.Background())
	a.db.Close()
}

// warnNoMail says at start-up that password-reset mails cannot be sent.
func (a *app) warnNoMail() {
	if a.cfg.SMTPURL == "" {
		a.log.Warn("no SMTP server configured (CALLREC_SMTP_URL): password-reset mails are not sent; " +
			"set a password with `callrec admin reset-password --login L --password P`")
	}
}

func (a *app) handler() http.Handler {
	return web.New(web.Deps{DB: a.db, Accounts: a.accounts, Auth: a.auth, SSO: a.sso, Log: a.log,
		SecureCookies: a.cfg.SecureCookies, PublicURL: a.cfg.PublicURL,
		Recordings: a.recordings(), Events: a.eventBus(), Integrations: a.integrations(), Brand: a.brand,
		SignInOrigins: a.signInOrigins(), Bot: a.botHandler(), PauseControl: a.pauseControl(), Live: a.live(),
		Metrics: a.metrics, Guard: a.guard, InternalElsewhere: a.cfg.InternalAddr != "", MetricsElsewhere: a.cfg.MetricsAddr != "", Box: a.box})
}

// serveHTTP serves h on addr, within the production bounds, until ctx
// ends, then drains for up to 10 s.
func serveHTTP(ctx context.Context, log *slog.Logger, addr string, h http.Handler, ready func(addr string)) error {
	ln, err := listen(addr)
	if err != nil {
		return fmt.Errorf("http: listen %s: %w", addr, err)
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	return serveOn(ctx, log, ln, h, httpserver.Defaults())
}

// serveOn serves h on ln within the bounds t (httpserver says why each;
// streaming handlers lift them for their own requests) until ctx ends,
// then drains for up to 10 s.
func serveOn(ctx context.Context, log *slog.Logger, ln net.Listener, h http.Handler, t httpserver.Timeouts) error {
	srv := httpserver.New(h, t)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutCtx)
}
