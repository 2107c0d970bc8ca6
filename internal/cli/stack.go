package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"callrec/internal/config"
	"callrec/internal/httpserver"
	"callrec/internal/msemu"
)

// stack is everything `callrec demo` runs in one process: the Microsoft
// cloud emulator and, pointed at it, the portal and API, the Teams bot, the
// SIPREC recorder and the worker. End-to-end tests start the same stack.
type stack struct {
	URL     string // the portal
	MSURL   string // the emulator
	SIPAddr string // the recorder ("" when it could not start)
	Emu     *msemu.Emulator
	app     *app
	errc    chan error
	emuDone chan struct{} // closed once the emulator has saved its snapshot
	cleanup []func()
}

type stackOptions struct {
	MSAddr      string        // emulator listen address (default the HTTP port + 1)
	Replication time.Duration // the emulator's replication delay
	Seed        bool          // create the demo's provider, tenant and people
	Emu         msemu.Options // further emulator options (tests shorten deadlines)
}

// startStack listens, wires and starts everything, and returns once it serves.
func startStack(ctx context.Context, cfg config.Config, o stackOptions, log *slog.Logger) (st *stack, err error) {
	st = &stack{errc: make(chan error, 2)}
	defer func() {
		if err != nil {
			st.close()
		}
	}()
	ln, err := listen(cfg.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", cfg.HTTPAddr, err)
	}
	st.cleanup = append(st.cleanup, func() { ln.Close() })
	cfg.PublicURL = publicURLFor(cfg.PublicURL, ln.Addr().String())
	if o.MSAddr == "" {
		o.MSAddr = nextPort(ln.Addr().String())
	}
	msLn, err := listen(o.MSAddr)
	if err != nil {
		return nil, fmt.Errorf("listen %s for the Microsoft emulator: %w", o.MSAddr, err)
	}
	st.cleanup = append(st.cleanup, func() { msLn.Close() })
	eo := o.Emu
	eo.BaseURL = "http://" + sameHost(cfg.PublicURL, msLn.Addr().String())
	eo.Logger, eo.ReplicationDelay = log, o.Replication
	eo.AppRedirectPrefix, eo.CallingWebhookURL = cfg.PublicURL+"/", cfg.PublicURL+"/api/teams/calling"
	if st.Emu, err = msemu.New(eo); err != nil {
		return nil, err
	}
	st.cleanup = append(st.cleanup, func() { _ = st.Emu.Close() })
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	snap := &snapshotFile{path: filepath.Join(cfg.DataDir, "msemu.json"), emu: st.Emu}
	if err := snap.load(); err != nil {
		return nil, err
	}
	mc := st.Emu.Config()
	cfg.MSLoginURL, cfg.MSGraphURL, cfg.MSTeamsAdminURL = mc.LoginURL, mc.GraphURL, mc.TeamsAdminURL
	cfg.MSClientID, cfg.MSClientSecret = mc.ClientID, mc.ClientSecret
	cfg.MSBotOpenIDURL = mc.BotOpenIDURL

	a, err := openApp(ctx, cfg, log, true)
	if err != nil {
		return nil, err
	}
	st.app = a
	st.cleanup = append(st.cleanup, a.close)
	a.warnNoMail()
	if o.Seed {
		if err := seedDemo(ctx, a); err != nil {
			return nil, fmt.Errorf("seed demo data: %w", err)
		}
		if err := demoSIPSource(ctx, a, "Contoso"); err != nil {
			return nil, fmt.Errorf("seed demo SIPREC source: %w", err)
		}
	}
	if err := st.startRoles(ctx, a, log); err != nil {
		return nil, err
	}
	st.emuDone = make(chan struct{})
	go func() {
		defer close(st.emuDone)
		if err := serveOn(ctx, log, msLn, snap.saveAfterWrites(st.Emu), httpserver.Defaults()); err != nil {
			log.Error("Microsoft emulator stopped", "err", err)
		}
		_ = snap.save()
	}()
	go func() { st.errc <- serveOn(ctx, log, ln, a.handler(), httpserver.Defaults()) }()
	st.URL, st.MSURL = cfg.PublicURL, mc.LoginURL
	return st, nil
}

// startRoles runs the recorder (its real SIP port becomes the media
// edge's target), the worker and the bot's keep-alive.
func (st *stack) startRoles(ctx context.Context, a *app, log *slog.Logger) error {
	wait, sipAddr, err := a.runRecorder(ctx)
	if err != nil {
		// The portal still works without it (e.g. the SIP port is taken).
		log.Error("SIPREC recorder not started", "sip_addr", a.cfg.SIPAddr, "err", err)
	} else {
		st.SIPAddr = sipAddr
		a.cfg.SIPRECTarget = "sip:" + sipAddr + ";transport=tcp"
		st.cleanup = append(st.cleanup, func() { _ = wait() })
	}
	a.startWorker(ctx)
	a.startTeamsBot(ctx)
	return nil
}

// Wait serves until the context ends, then releases everything.
func (st *stack) Wait() error {
	err := <-st.errc
	if st.emuDone != nil {
		// Its last snapshot lands in the data directory: a test's
		// TempDir cleanup must not race it.
		<-st.emuDone
	}
	st.close()
	return err
}

func (st *stack) close() {
	for i := len(st.cleanup) - 1; i >= 0; i-- {
		st.cleanup[i]()
	}
	st.cleanup = nil
}
