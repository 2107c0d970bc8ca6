package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"callrec/internal/msemu"
)

// runMsemu serves the Microsoft cloud emulator until ctx is cancelled.
func runMsemu(ctx context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("msemu", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	addr := fs.String("addr", ":9000", "listen address")
	state := fs.String("state", "", "JSON snapshot file: loaded at start if present, saved after changes and at exit")
	base := fs.String("base-url", "", "externally visible base URL (default http://localhost:<port>)")
	redirect := fs.String("redirect-prefix", "", "admit any redirect URI of callrec's app under this URL (default CALLREC_PUBLIC_URL or http://localhost:8080/)")
	delay := fs.Duration("replication-delay", 3*time.Second, "how long new objects stay invisible, as in Microsoft's directory")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := serveMsemu(ctx, env, *addr, *state, *base, *redirect, *delay); err != nil {
		fmt.Fprintln(env.Stderr, "callrec msemu:", err)
		return 1
	}
	return 0
}

func serveMsemu(ctx context.Context, env *Env, addr, state, base, redirect string, delay time.Duration) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if base == "" {
		base = "http://localhost:" + portOf(ln.Addr().String())
	}
	if redirect == "" {
		redirect = strings.TrimRight(env.Getenv("CALLREC_PUBLIC_URL"), "/") + "/"
		if redirect == "/" {
			redirect = "http://localhost:8080/"
		}
	}
	log := newLogger(env.Stderr, "info")
	emu, err := msemu.New(msemu.Options{BaseURL: base, Logger: log, ReplicationDelay: delay, AppRedirectPrefix: redirect,
		CallingWebhookURL: strings.TrimRight(redirect, "/") + "/api/teams/calling"})
	if err != nil {
		return err
	}
	snap := &snapshotFile{path: state, emu: emu}
	if err := snap.load(); err != nil {
		return err
	}
	printMsemuConfig(env.Stdout, emu.Config(), redirect)
	srv := &http.Server{Handler: snap.saveAfterWrites(emu), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	_ = emu.Close() // hang up calls in progress: recorders get their BYE
	return snap.save()
}

func portOf(hostport string) string {
	_, port, _ := net.SplitHostPort(hostport)
	return port
}

func printMsemuConfig(w io.Writer, c msemu.Config, redirect string) {
	fmt.Fprintf(w, "Microsoft cloud emulator\n\n")
	fmt.Fprintf(w, "  CALLREC_MS_LOGIN_URL=%s\n  CALLREC_MS_GRAPH_URL=%s\n  CALLREC_MS_TEAMS_ADMIN_URL=%s\n  CALLREC_MS_BOT_OPENID_URL=%s\n\n",
		c.LoginURL, c.GraphURL, c.TeamsAdminURL, c.BotOpenIDURL)
	fmt.Fprintf(w, "  app client id:     %s\n  app client secret: %s\n  redirect URIs:     %s*\n\n", c.ClientID, c.ClientSecret, redirect)
	fmt.Fprintf(w, "  admin center: %s\n  my apps:      %s\n  control API:  %s/emu/config\n\n", c.AdminCenter, c.MyApps, c.LoginURL)
	for _, l := range c.Tenants {
		fmt.Fprintf(w, "  %-8s %-22s %-40s %s\n", l.Tenant, l.Role, l.UPN, l.Password)
	}
}

// snapshotFile keeps the emulator's state in a JSON file, if one is named.
type snapshotFile struct {
	path string
	emu  *msemu.Emulator
	mu   sync.Mutex
}

func (s *snapshotFile) load() error {
	if s.path == "" {
		return nil
	}
	f, err := os.Open(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open state: %w", err)
	}
	defer f.Close()
	return s.emu.Load(f)
}

// save writes to a temporary file and renames it, so a crash never leaves
// half a snapshot.
func (s *snapshotFile) save() error {
	if s.path == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var buf bytes.Buffer
	if err := s.emu.Save(&buf); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), ".msemu-*.json")
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("save state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return nil
}

func (s *snapshotFile) saveAfterWrites(h http.Handler) http.Handler {
	if s.path == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			_ = s.save()
		}
	})
}
