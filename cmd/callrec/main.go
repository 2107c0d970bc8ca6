// Command callrec is the multi-tenant call-recording platform: portal, API,
// recorder, Teams bot, worker and the Microsoft cloud emulator in one binary.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"callrec/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
