package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"callrec/internal/config"
	"callrec/internal/msemu"

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
	var msAddr, portalAddr string
	cfg, _, err := parseConfig(env, "demo", args, func(fs *flag.FlagSet) {
		fs.StringVar(&msAddr, "msemu-addr", "", "listen address of the in-process Microsoft emulator (default: the HTTP port + 1)")
		fs.StringVar(&portalAddr, "provider-portal-addr", "", "listen address of the in-process provider portal emulator (default: the HTTP port + 2)")
	})
	if err != nil {
		fmt.Fprintln(env.Stderr, "callrec demo:", err)
		return 2
	}
	// The demo always runs on the embedded store in its data directory.
	cfg.DatabaseURL = "sqlite://" + filepath.Join(cfg.DataDir, "callrec.db")
	log := newLogger(env.Stderr, cfg.LogLevel)
	if err := demo(ctx, env, cfg, msAddr, portalAddr, log); err != nil {
		log.Error("demo stopped", "err", err)
		return 1
	}
	return 0
}

// demo serves everything in one process and prints how to use it.
func demo(ctx context.Context, env *Env, cfg config.Config, msAddr, portalAddr string, log *slog.Logger) error {
	st, err := startStack(ctx, cfg, stackOptions{MSAddr: msAddr, Replication: 3 * time.Second, Seed: true}, log)
	if err != nil {
		return err
	}
	portalURL, err := startDemoPortal(ctx, st, portalAddr, log)
	if err != nil {
		return fmt.Errorf("provider portal: %w", err)
	}
	printDemo(env.Stdout, st.URL, st.Emu.Config())
	printPortal(env.Stdout, portalURL)
	if st.SIPAddr != "" {
		printRecorder(env.Stdout, st.SIPAddr)
	}
	return st.Wait()
}

// nextPort is host:port+1 (or port 0 when the HTTP port was chosen freely).
func nextPort(hostport string) string {
	host, port, _ := net.SplitHostPort(hostport)
	n, err := strconv.Atoi(port)
	if err != nil || n == 0 || n == 65535 {
		return net.JoinHostPort(host, "0")
	}
	return net.JoinHostPort(host, strconv.Itoa(n+1))
}

// sameHost names the emulator with the host the portal is reached by, so
// the browser that uses the portal can reach Microsoft's pages too.
func sameHost(publicURL, listenAddr string) string {
	host := "localhost"
	if u, err := url.Parse(publicURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return net.JoinHostPort(host, portOf(listenAddr))
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

// publicURLFor is the configured public URL, or the listening address
// (with "localhost" for an unspecified host) when none was set.
func publicURLFor(configured, listenAddr string) string {
	if u, err := url.Parse(configured); err == nil && configured != "" && configured != "http://localhost:8080" && u.Port() != "0" {
		return strings.TrimRight(configured, "/")
	}
	host, port, _ := net.SplitHostPort(listenAddr)
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func printDemo(w io.Writer, url string, mc msemu.Config) {
	fmt.Fprintf(w, "\ncallrec demo is running at %s\n\n", url)
	fmt.Fprintln(w, "Sign in to callrec with:")
	for _, l := range demoLogins {
		fmt.Fprintf(w, "  %-22s login %-28s password %s\n", l.who, l.login, l.password)
	}
	fmt.Fprintf(w, "\nMicrosoft cloud emulator (simulated Microsoft 365 for the Teams integration) at %s\n", mc.LoginURL)
	fmt.Fprintln(w, "Sign in to \"Microsoft\" during the Teams wizard with:")
	for _, l := range mc.Tenants {
		fmt.Fprintf(w, "  %-8s %-22s %-40s %s\n", l.Tenant, l.Role, l.UPN, l.Password)
	}
	fmt.Fprintf(w, "  admin center: %s   my apps: %s\n", mc.AdminCenter, mc.MyApps)
	fmt.Fprintln(w, "\nPress Ctrl+C to stop.")
}
