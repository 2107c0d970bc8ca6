// Package cli implements callrec's subcommands. Each subcommand lives in its
// own file and receives the context, its arguments and its output streams.
package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
)

// command is one subcommand: it returns the process exit code.
type command struct {
	summary string
	run     func(ctx context.Context, env *Env, args []string) int
}

// Env carries what every subcommand needs from the process.
type Env struct {
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

func commands() map[string]command {
	return map[string]command{
		"serve":           {"run the portal, API, recorder, Teams bot and worker", runServe},
		"migrate":         {"apply database migrations and exit", runMigrate},
		"admin":           {"bootstrap and recovery: create-tenant, create-user, create-token, reset-password", runAdmin},
		"demo":            {"run everything on an embedded store with seeded logins", runDemo},
		"msemu":           {"run the Microsoft cloud emulator on its own port", runMsemu},
		"provider-portal": {"run the simulated provider portal (SAML IdP, SCIM client) on its own port", runProviderPortal},
		"siprec-load":     {"place SIPREC calls against a recorder and print a JSON summary", runSiprecLoad},
		"teams":           {"manifest: print the Microsoft app registration manifest with every permission callrec needs", runTeams},
	}
}

// Run dispatches to the subcommand named by args[0] and returns the exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	env := &Env{Stdout: stdout, Stderr: stderr, Getenv: os.Getenv}
	return env.run(ctx, args)
}

func (env *Env) run(ctx context.Context, args []string) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "callrec: unknown command %q\n\n", args[0])
		usage(env.Stderr, cmds)
		return 2
	}
	return c.run(ctx, env, args[1:])
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: callrec <command> [flags]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
