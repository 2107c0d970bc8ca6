package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"callrec/internal/account"
	"callrec/internal/roles"
	"callrec/internal/store"
)

// demoLogin is a seeded account the demo prints.
type demoLogin struct {
	who, login, password, name, role, email string
}

var demoLogins = []demoLogin{
	{"provider admin", "provider", "Provider#2026", "Pat Provider", roles.ProviderAdmin, "provider@telecom.example"},
	{"Contoso tenant admin", "admin@contoso.example", "Contoso#2026", "Adele Vance", roles.Admin, "admin@contoso.example"},
	{"Contoso supervisor", "supervisor@contoso.example", "Contoso#2026", "Megan Bowen", roles.Supervisor, "supervisor@contoso.example"},
}

func runDemo(ctx context.Context, env *Env, args []string) int {
	cfg, _, err := parseConfig(env, "demo", args, nil)
	if err != nil {
		fmt.Fprintln(env.Stderr, "callrec demo:", err)
		return 2
	}
	// The demo always runs on the embedded store in its data directory.
	cfg.DatabaseURL = "sqlite://" + filepath.Join(cfg.DataDir, "callrec.db")
	log := newLogger(env.Stderr, cfg.LogLevel)
	a, err := openApp(ctx, cfg, log, true)
	if err != nil {
		log.Error("cannot start demo", "err", err)
		return 1
	}
	defer a.close()
	if err := seedDemo(ctx, a); err != nil {
		log.Error("cannot seed demo data", "err", err)
		return 1
	}
	err = serveHTTP(ctx, log, cfg.HTTPAddr, a.handler(), func(addr string) {
		printDemo(env.Stdout, publicURLFor(cfg.PublicURL, addr))
	})
	if err != nil {
		log.Error("http server", "err", err)
		return 1
	}
	return 0
}

// seedDemo creates the provider admin, tenant Contoso and its people once;
// running the demo again keeps what is there.
func seedDemo(ctx context.Context, a *app) error {
	if _, err := a.db.Q().EnsureProvider(ctx, "Demo Telecom"); err != nil {
		return err
	}
	t, err := a.db.Q().FindTenant(ctx, "Contoso")
	if errors.Is(err, store.ErrNotFound) {
		name, acct := "Contoso", "3100008477"
		tz := "America/New_York"
		t, err = a.accounts.CreateTenant(ctx, account.System, account.TenantInput{Name: &name, AccountNumber: &acct, Timezone: &tz,
			Licenses: map[string]int{"call_recording": 25, "screen_recording": 5, "live_monitoring": 25, "agent_evaluation": 10, "speech_analytics": 25}})
	}
	if err != nil {
		return err
	}
	portal := true
	for _, l := range demoLogins {
		if _, err := a.db.Q().GetUserByLogin(ctx, l.login); err == nil {
			continue
		}
		tenantID := t.ID
		if l.role == roles.ProviderAdmin {
			tenantID = ""
		}
		in := account.UserInput{Name: &l.name, Role: &l.role, Login: &l.login, Password: &l.password, PortalAccess: &portal, Email: &l.email}
		if _, err := a.accounts.CreateUser(ctx, account.System, tenantID, in); err != nil {
			return fmt.Errorf("demo user %s: %w", l.login, err)
		}
	}
	return nil
}

func publicURLFor(configured, listenAddr string) string {
	if configured != "" && configured != "http://localhost:8080" {
		return configured
	}
	return "http://" + listenAddr
}

func printDemo(w io.Writer, url string) {
	fmt.Fprintf(w, "\ncallrec demo is running at %s\n\n", url)
	fmt.Fprintln(w, "Sign in with:")
	for _, l := range demoLogins {
		fmt.Fprintf(w, "  %-22s login %-28s password %s\n", l.who, l.login, l.password)
	}
	fmt.Fprintln(w, "\nPress Ctrl+C to stop.")
}
