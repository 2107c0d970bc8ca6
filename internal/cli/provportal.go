package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"callrec/internal/account"
	"callrec/internal/httpserver"
	"callrec/internal/provportal"
	"callrec/internal/roles"
	"callrec/internal/store"
)

// The provider portal emulator's demo accounts: the customer's admin (Admin
// Tools) and a Call Recording license holder. Their logins are callrec
// logins, as the portal matches users by SCIM userName.
var portalLogins = []provportal.Account{
	{Login: "admin@contoso.example", Password: "Portal#2026", Name: "Adele Vance", Admin: true},
	{Login: "lynne@contoso.example", Password: "Portal#2026", Name: "Lynne Robbins"},
}

type accountFlags []provportal.Account

func (a *accountFlags) String() string { return fmt.Sprint(len(*a), " accounts") }

func (a *accountFlags) Set(v string) error {
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" {
		return errors.New("want login:password or login:password:admin")
	}
	*a = append(*a, provportal.Account{Login: parts[0], Password: parts[1], Name: parts[0], Admin: len(parts) == 3 && parts[2] == "admin"})
	return nil
}

// runProviderPortal serves the simulated provider portal on its own port.
func runProviderPortal(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("provider-portal", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	addr := fs.String("addr", ":8090", "listen address")
	public := fs.String("public-url", "", "externally visible base URL (default http://localhost:<port>)")
	callrec := fs.String("callrec-url", "", "callrec's base URL (default CALLREC_PUBLIC_URL or http://localhost:8080)")
	token := fs.String("scim-token", env.Getenv("CALLREC_PROVPORTAL_SCIM_TOKEN"), "SCIM token issued by callrec's provider admin for the tenant (env CALLREC_PROVPORTAL_SCIM_TOKEN)")
	spMeta := fs.String("sp-metadata-url", "", "callrec's SAML SP metadata URL (default <callrec-url>/saml/metadata)")
	every := fs.Duration("sync-every", 15*time.Minute, "how often to sync license holders over SCIM")
	var accounts accountFlags
	fs.Var(&accounts, "account", "a portal account login:password[:admin] (repeatable; default the demo's)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *callrec == "" {
		*callrec = strings.TrimRight(env.Getenv("CALLREC_PUBLIC_URL"), "/")
		if *callrec == "" {
			*callrec = "http://localhost:8080"
		}
	}
	if len(accounts) == 0 {
		accounts = portalLogins
	}
	ln, err := listen(*addr)
	if err != nil {
		fmt.Fprintln(env.Stderr, "callrec provider-portal: listen:", err)
		return 1
	}
	if *public == "" {
		*public = "http://localhost:" + portOf(ln.Addr().String())
	}
	log := newLogger(env.Stderr, "info")
	opt := provportal.Options{PublicURL: *public, CallrecURL: *callrec, SCIMToken: *token, SPMetadataURL: *spMeta,
		Accounts: accounts, SyncEvery: *every, Log: log}
	fmt.Fprintf(env.Stdout, "Provider portal emulator (simulated) at %s, syncing from %s\n", *public, *callrec)
	if err := serveProviderPortal(ctx, log, ln, opt); err != nil {
		fmt.Fprintln(env.Stderr, "callrec provider-portal:", err)
		return 1
	}
	return 0
}

func serveProviderPortal(ctx context.Context, log *slog.Logger, ln net.Listener, opt provportal.Options) error {
	p, err := provportal.New(opt)
	if err != nil {
		ln.Close()
		return err
	}
	go p.Run(ctx)
	return serveOn(ctx, log, ln, p, httpserver.Defaults())
}

// startDemoPortal runs the provider portal emulator beside the demo: it
// seeds a license holder, issues the portal a fresh SCIM token for Contoso
// (revoking the previous demo token) and serves on the port after the
// Microsoft emulator's. It returns the portal's URL.
func startDemoPortal(ctx context.Context, st *stack, addr string, log *slog.Logger) (string, error) {
	a := st.app
	prov, err := a.db.Q().GetUserByLogin(ctx, "provider")
	if err != nil {
		return "", err
	}
	t, err := a.db.Q().FindTenant(ctx, "Contoso")
	if err != nil {
		return "", err
	}
	if err := seedLicenseHolder(ctx, a.accounts, a.db, t.ID); err != nil {
		return "", err
	}
	c := &account.Caller{User: prov}
	old, err := a.accounts.SCIMTokens(ctx, c, t.ID)
	if err != nil {
		return "", err
	}
	for _, o := range old {
		if o.Name == "provider portal (demo)" {
			_ = a.accounts.RevokeSCIMToken(ctx, c, t.ID, o.ID)
		}
	}
	token, _, err := a.accounts.CreateSCIMToken(ctx, c, t.ID, "provider portal (demo)")
	if err != nil {
		return "", err
	}
	if addr == "" {
		u, _ := url.Parse(st.URL)
		addr = nextPort(nextPort(u.Host))
	}
	ln, err := listen(addr)
	if err != nil {
		return "", fmt.Errorf("listen %s for the provider portal: %w", addr, err)
	}
	public := "http://" + sameHost(st.URL, ln.Addr().String())
	opt := provportal.Options{PublicURL: public, CallrecURL: st.URL, SCIMToken: token, Accounts: portalLogins, SyncEvery: 5 * time.Minute,
		Log: log.With("component", "provider-portal")}
	go func() {
		if err := serveProviderPortal(ctx, log, ln, opt); err != nil {
			log.Error("provider portal stopped", "err", err)
		}
	}()
	// callrec trusts the portal as Contoso's SAML IdP, from its metadata.
	md, err := fetchMetadata(ctx, public+"/saml/metadata")
	if err != nil {
		return "", fmt.Errorf("provider portal's IdP metadata: %w", err)
	}
	if _, err := a.sso.RegisterFromMetadata(ctx, md, t.ID, "Provider portal (demo)"); err != nil {
		return "", fmt.Errorf("register the provider portal as Contoso's IdP: %w", err)
	}
	return public, nil
}

// fetchMetadata reads a SAML metadata document, waiting up to 5 s for the
// server that was just started to answer.
func fetchMetadata(ctx context.Context, u string) ([]byte, error) {
	var last error
	for range 50 {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			b, rerr := io.ReadAll(io.LimitReader(res.Body, 1<<20))
			res.Body.Close()
			if res.StatusCode == http.StatusOK && rerr == nil {
				return b, nil
			}
			err = fmt.Errorf("%s: %s", u, res.Status)
		}
		last = err
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil, last
}

// seedLicenseHolder creates Contoso's Call Recording user who reaches
// callrec through the provider portal (SAML), once.
func seedLicenseHolder(ctx context.Context, accounts *account.Service, db *store.DB, tenantID string) error {
	login := "lynne@contoso.example"
	if _, err := db.Q().GetUserByLogin(ctx, login); err == nil {
		return nil
	}
	name, role, auth, portal := "Lynne Robbins", roles.UserSelfView, "saml", true
	licenses := []string{"call_recording"}
	_, err := accounts.CreateUser(ctx, account.System, tenantID, account.UserInput{Name: &name, Login: &login, Email: &login,
		Role: &role, AuthType: &auth, PortalAccess: &portal, Licenses: &licenses})
	return err
}

func printPortal(w io.Writer, url string) {
	fmt.Fprintf(w, "\nProvider portal emulator (simulated \"Cloud Services Portal\": SAML IdP and SCIM client of callrec) at %s\n", url)
	for _, l := range portalLogins {
		who := "license holder"
		if l.Admin {
			who = "customer admin"
		}
		fmt.Fprintf(w, "  %-16s login %-28s password %s   (MFA: enrol a TOTP app at first sign-in)\n", who, l.Login, l.Password)
	}
}
