package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"callrec/internal/account"
	"callrec/internal/roles"
	"callrec/internal/validate"
)

// adminCmd is one `callrec admin` action. It prints only the id or token,
// unless --json asks for the whole object.
type adminCmd struct {
	usage string
	flags func(fs *flag.FlagSet, v map[string]*string)
	run   func(ctx context.Context, a *app, v map[string]*string) (id string, obj any, err error)
}

func adminCommands() map[string]adminCmd {
	return map[string]adminCmd{
		"create-tenant":  {"--name NAME [--account-number N]", strFlags("name", "account-number"), adminCreateTenant},
		"create-user":    {"--tenant ID_OR_NAME --login L --name N --role ROLE --password P [--email E]", strFlags("tenant", "login", "name", "role", "password", "email"), adminCreateUser},
		"create-token":   {"--login L [--name NAME]", strFlags("login", "name"), adminCreateToken},
		"reset-password": {"--login L --password P", strFlags("login", "password"), adminResetPassword},
	}
}

func strFlags(names ...string) func(fs *flag.FlagSet, v map[string]*string) {
	return func(fs *flag.FlagSet, v map[string]*string) {
		for _, n := range names {
			v[n] = fs.String(n, "", n)
		}
	}
}

func runAdmin(ctx context.Context, env *Env, args []string) int {
	cmds := adminCommands()
	if len(args) == 0 {
		adminUsage(env.Stderr, cmds)
		return 2
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "callrec admin: unknown action %q\n", args[0])
		adminUsage(env.Stderr, cmds)
		return 2
	}
	v := map[string]*string{}
	var asJSON bool
	cfg, _, err := parseConfig(env, "admin "+args[0], args[1:], func(fs *flag.FlagSet) {
		c.flags(fs, v)
		fs.BoolVar(&asJSON, "json", false, "print the whole object as JSON")
	})
	if err != nil {
		fmt.Fprintln(env.Stderr, "callrec admin:", err)
		return 2
	}
	log := newLogger(env.Stderr, "warn")
	a, err := openApp(ctx, cfg, log, true)
	if err != nil {
		fmt.Fprintln(env.Stderr, "callrec admin:", err)
		return 1
	}
	defer a.close()
	id, obj, err := c.run(ctx, a, v)
	if err != nil {
		fmt.Fprintln(env.Stderr, "callrec admin "+args[0]+":", explain(err))
		return 1
	}
	if asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(obj)
	} else {
		fmt.Fprintln(env.Stdout, id)
	}
	return 0
}

func adminUsage(w io.Writer, cmds map[string]adminCmd) {
	fmt.Fprintln(w, "usage: callrec admin <action> [flags] [--json]")
	for _, n := range []string{"create-tenant", "create-user", "create-token", "reset-password"} {
		fmt.Fprintf(w, "  %-15s %s\n", n, cmds[n].usage)
	}
}

func explain(err error) string {
	var verrs validate.Errors
	if errors.As(err, &verrs) {
		return verrs.Error()
	}
	if errors.Is(err, account.ErrNotFound) {
		return "not found"
	}
	return err.Error()
}

func adminCreateTenant(ctx context.Context, a *app, v map[string]*string) (string, any, error) {
	in := account.TenantInput{Name: v["name"]}
	if *v["account-number"] != "" {
		in.AccountNumber = v["account-number"]
	}
	t, err := a.accounts.CreateTenant(ctx, account.System, in)
	return t.ID, t, err
}

func adminCreateUser(ctx context.Context, a *app, v map[string]*string) (string, any, error) {
	tenantID := ""
	if *v["role"] != roles.ProviderAdmin {
		if *v["tenant"] == "" {
			return "", nil, validate.Field("tenant", "required unless --role provider_admin")
		}
		t, err := a.db.Q().FindTenant(ctx, *v["tenant"])
		if err != nil {
			return "", nil, fmt.Errorf("tenant %q: %w", *v["tenant"], account.ErrNotFound)
		}
		tenantID = t.ID
	} else if *v["tenant"] != "" {
		return "", nil, validate.Field("tenant", "a provider admin belongs to no tenant")
	}
	portal := true
	in := account.UserInput{Name: v["name"], Role: v["role"], Login: v["login"], Password: v["password"], PortalAccess: &portal}
	if *v["email"] != "" {
		in.Email = v["email"]
	}
	if strings.TrimSpace(*v["login"]) == "" {
		return "", nil, validate.Field("login", "required")
	}
	u, err := a.accounts.CreateUser(ctx, account.System, tenantID, in)
	return u.ID, u, err
}

func adminCreateToken(ctx context.Context, a *app, v map[string]*string) (string, any, error) {
	u, err := a.db.Q().GetUserByLogin(ctx, *v["login"])
	if err != nil {
		return "", nil, fmt.Errorf("login %q: %w", *v["login"], account.ErrNotFound)
	}
	name := *v["name"]
	if name == "" {
		name = "cli"
	}
	raw, t, err := a.auth.CreateToken(ctx, u, name)
	return raw, map[string]any{"token": raw, "id": t.ID, "user_id": t.UserID, "name": t.Name}, err
}

func adminResetPassword(ctx context.Context, a *app, v map[string]*string) (string, any, error) {
	u, err := a.db.Q().GetUserByLogin(ctx, *v["login"])
	if err != nil {
		return "", nil, fmt.Errorf("login %q: %w", *v["login"], account.ErrNotFound)
	}
	if err := a.auth.SetPassword(ctx, u.ID, *v["password"]); err != nil {
		return "", nil, err
	}
	return u.ID, map[string]string{"id": u.ID, "login": u.Login}, nil
}
