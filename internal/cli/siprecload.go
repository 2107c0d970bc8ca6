package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"callrec/internal/siprecload"
)

// runSiprecLoad places SIPREC calls against a recorder and prints a JSON summary.
func runSiprecLoad(ctx context.Context, env *Env, args []string) int {
	var cfg siprecload.Config
	fs := flag.NewFlagSet("callrec siprec-load", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.StringVar(&cfg.Target, "target", "127.0.0.1:5080", "recorder SIP address host:port")
	fs.IntVar(&cfg.Calls, "calls", 10, "calls to place")
	fs.IntVar(&cfg.Concurrency, "concurrency", 10, "calls at once at most")
	fs.DurationVar(&cfg.Duration, "duration", 10e9, "length of each call")
	fs.DurationVar(&cfg.MaxDuration, "max-duration", 0, "with it, each call lasts between --duration and this")
	fs.DurationVar(&cfg.For, "for", 0, "sustained: keep --concurrency calls up this long, replacing each as it ends (--calls is ignored)")
	fs.Float64Var(&cfg.CPS, "cps", 10, "new calls per second")
	fs.StringVar(&cfg.Audio, "audio", "", "8 kHz 16-bit WAV to send (stereo: one channel per stream); default two tones")
	fs.StringVar(&cfg.User, "user", "", "request-URI user (the SIPREC source's domain, if it has one)")
	fs.StringVar(&cfg.AgentAOR, "agent", "", "address of the recorded party (default sip:2001@pbx.example)")
	fs.StringVar(&cfg.IP, "ip", "127.0.0.1", "local address to send from")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	s, err := siprecload.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(env.Stderr, "callrec siprec-load:", err)
		return 1
	}
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(s)
	if s.Failed > 0 {
		return 1
	}
	return 0
}
