package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"callrec/internal/teams"
)

// runTeams is `callrec teams manifest`: the multi-tenant app registration's
// requiredResourceAccess, made from teams.RequiredPermissions — the list
// the admin consent check and the disconnect read — so the registration
// and the code cannot drift apart.
func runTeams(_ context.Context, env *Env, args []string) int {
	if len(args) == 0 || args[0] != "manifest" {
		fmt.Fprintln(env.Stderr, "usage: callrec teams manifest [-name NAME] [-redirect URL]")
		return 2
	}
	fs := flag.NewFlagSet("teams manifest", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	name := fs.String("name", "callrec", "the app registration's display name")
	redirect := fs.String("redirect", "https://callrec.example.com/integrations/teams/callback", "callrec's OAuth redirect URI (CALLREC_PUBLIC_URL + the callback path)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	b, err := json.MarshalIndent(teams.Manifest(*name, *redirect), "", "  ")
	if err != nil {
		fmt.Fprintln(env.Stderr, "callrec:", err)
		return 1
	}
	fmt.Fprintln(env.Stdout, string(b))
	return 0
}
