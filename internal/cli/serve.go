package cli

import (
	"context"
	"fmt"
)

func runServe(ctx context.Context, env *Env, args []string) int {
	fmt.Fprintln(env.Stderr, "callrec serve: not built yet")
	return 1
}

func runMigrate(ctx context.Context, env *Env, args []string) int {
	fmt.Fprintln(env.Stderr, "callrec migrate: not built yet")
	return 1
}

func runAdmin(ctx context.Context, env *Env, args []string) int {
	fmt.Fprintln(env.Stderr, "callrec admin: not built yet")
	return 1
}

func runDemo(ctx context.Context, env *Env, args []string) int {
	fmt.Fprintln(env.Stderr, "callrec demo: not built yet")
	return 1
}
