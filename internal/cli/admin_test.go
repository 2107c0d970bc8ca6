package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// run executes a subcommand with the given environment and returns its
// exit code and output.
func runCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] }}
	code := e.run(context.Background(), args)
	return code, strings.TrimSpace(out.String()), errOut.String()
}

// The admin CLI is script-friendly: it prints only the id or token, or
// the whole object with --json, and explains refusals on stderr.
func TestAdminCLI(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"CALLREC_DATA_DIR": dir, "CALLREC_DATABASE_URL": "sqlite://" + filepath.Join(dir, "c.db")}
	code, id, _ := runCLI(t, env, "admin", "create-tenant", "--name", "Acme", "--account-number", "3100008477")
	if code != 0 || len(id) < 30 || strings.ContainsAny(id, " \n") {
		t.Fatalf("create-tenant: %d %q", code, id)
	}
	code, _, stderr := runCLI(t, env, "admin", "create-tenant", "--name", "acme")
	if code != 1 || !strings.Contains(stderr, "already exists") {
		t.Fatalf("duplicate tenant: %d %q", code, stderr)
	}
	code, out, _ := runCLI(t, env, "admin", "create-user", "--tenant", "Acme", "--login", "boss", "--name", "Boss", "--role", "admin",
		"--password", "Secret#2026", "--email", "boss@acme.example", "--json")
	var u struct {
		Login    string `json:"login"`
		TenantID string `json:"tenant_id"`
		Role     string `json:"role"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &u) != nil || u.Login != "boss" || u.TenantID != id || u.Role != "admin" {
		t.Fatalf("create-user --json: %d %s", code, out)
	}
	code, _, stderr = runCLI(t, env, "admin", "create-user", "--tenant", "Acme", "--login", "weak", "--name", "W", "--role", "user", "--password", "weak")
	if code != 1 || !strings.Contains(stderr, "password") {
		t.Fatalf("weak password: %d %q", code, stderr)
	}
	code, _, _ = runCLI(t, env, "admin", "create-user", "--role", "provider_admin", "--login", "root", "--name", "Root", "--password", "Secret#2026")
	if code != 0 {
		t.Fatalf("provider admin: %d", code)
	}
	code, tok, _ := runCLI(t, env, "admin", "create-token", "--login", "boss")
	if code != 0 || !strings.HasPrefix(tok, "cr_") {
		t.Fatalf("create-token: %d %q", code, tok)
	}
	if code, _, _ := runCLI(t, env, "admin", "reset-password", "--login", "boss", "--password", "Other#2027"); code != 0 {
		t.Fatalf("reset-password: %d", code)
	}
	if code, _, stderr := runCLI(t, env, "admin", "reset-password", "--login", "nobody", "--password", "Other#2027"); code != 1 || !strings.Contains(stderr, "not found") {
		t.Fatalf("unknown login: %d %q", code, stderr)
	}
	if code, _, _ := runCLI(t, env, "admin", "frobnicate"); code != 2 {
		t.Fatalf("unknown action: %d", code)
	}
	if code, out, _ := runCLI(t, env, "migrate"); code != 0 || out != "schema is up to date" {
		t.Fatalf("migrate: %d %q", code, out)
	}
}

// TestServeRefusesUnknownRoles: a typo in --roles or CALLREC_ROLES stops
// the node with the roles it knows, instead of starting one that runs less.
func TestServeRefusesUnknownRoles(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"CALLREC_DATA_DIR": dir, "CALLREC_DATABASE_URL": "sqlite://" + filepath.Join(dir, "c.db")}
	for _, roles := range []string{"web,recoder", "webrecorder", " , "} {
		code, _, stderr := runCLI(t, env, "serve", "--roles", roles)
		if code != 2 || !strings.Contains(stderr, "web, recorder, teamsbot, worker") {
			t.Errorf("--roles %q: exit %d, %q", roles, code, stderr)
		}
	}
	env["CALLREC_ROLES"] = "web,wroker"
	if code, _, stderr := runCLI(t, env, "serve"); code != 2 || !strings.Contains(stderr, `unknown role "wroker"`) {
		t.Errorf("CALLREC_ROLES with a typo: exit %d, %q", code, stderr)
	}
}
