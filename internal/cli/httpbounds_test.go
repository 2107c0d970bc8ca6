package cli

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"callrec/internal/account"
	"callrec/internal/config"
	"callrec/internal/events"
	"callrec/internal/httpserver"
	"callrec/internal/roles"
	"callrec/internal/store/storetest"
)

// short are bounds a test can wait out.
const short = 300 * time.Millisecond

func shortBounds() httpserver.Timeouts {
	return httpserver.Timeouts{ReadHeader: short, Read: short, Write: short, Idle: time.Second}
}

// serveTest serves h with serveOn on 127.0.0.1 within the bounds t and
// returns its address; the server stops when the test ends.
func serveTest(t *testing.T, h http.Handler, bounds httpserver.Timeouts) string {
	t.Helper()
	ln, err := listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveOn(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), ln, h, bounds) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

// TestHTTPServerBounds: a client that sends its headers a byte at a time
// is cut off at the header timeout, and one that never reads a response is
// let go at the write timeout.
func TestHTTPServerBounds(t *testing.T) {
	type written struct {
		err     error
		elapsed time.Duration
	}
	big := make(chan written, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /big", func(w http.ResponseWriter, r *http.Request) {
		start, chunk := time.Now(), make([]byte, 64<<10)
		for {
			if _, err := w.Write(chunk); err != nil {
				big <- written{err, time.Since(start)}
				return
			}
		}
	})
	addr := serveTest(t, mux, shortBounds())

	t.Run("slow headers", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		answer := make(chan string, 1)
		go func() { b, _ := io.ReadAll(conn); answer <- string(b) }()
		req := "GET /healthz HTTP/1.1\r\nHost: callrec.test\r\nX-Pad: " + strings.Repeat("x", 100) + "\r\n\r\n"
		tick := time.NewTicker(20 * time.Millisecond) // the slow client's pace: 2 s for the request
		defer tick.Stop()
		start := time.Now()
		for i := 0; i < len(req); i++ {
			select {
			case got := <-answer:
				if strings.Contains(got, "200 OK") {
					t.Fatalf("served a trickled request: %q", got)
				}
				if d := time.Since(start); d < short/2 || d > short+time.Second {
					t.Errorf("cut off after %v, want about %v", d, short)
				}
				return
			case <-tick.C:
			}
			if _, err := conn.Write([]byte{req[i]}); err != nil {
				return // cut off: the write found the connection closed
			}
		}
		t.Fatal("the server took the whole trickled request")
	})

	t.Run("unread response", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.(*net.TCPConn).SetReadBuffer(4 << 10)
		if _, err := io.WriteString(conn, "GET /big HTTP/1.1\r\nHost: callrec.test\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		select {
		case w := <-big:
			var ne net.Error
			if !errors.As(w.err, &ne) || !ne.Timeout() || w.elapsed > short+2*time.Second {
				t.Errorf("response to a client that does not read ended after %v with %v; want a write timeout after %v",
					w.elapsed, w.err, short)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the server still writes to a client that does not read")
		}
	})
}

// TestEventsOutliveWriteTimeout subscribes to /api/v1/events on the real
// handler served within short bounds, waits several times the write and
// read timeouts, and still receives an event on the same stream.
func TestEventsOutliveWriteTimeout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		a, tenantID, token := boundsApp(t, b)
		addr := serveTest(t, a.handler(), shortBounds())

		req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/events", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("events: %d", res.StatusCode)
		}
		lines := make(chan string)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(res.Body)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		if l := <-lines; l != ": connected" {
			t.Fatalf("first line %q", l)
		}
		quiet := time.After(8 * short) // the stream must outlast the write and read timeouts
	wait:
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatal("the event stream ended at the server's write timeout")
				}
				if l != "" {
					t.Fatalf("unexpected line %q", l)
				}
			case <-quiet:
				break wait
			}
		}
		a.eventBus().Publish(ctx, events.New(tenantID, "call.started", map[string]any{"id": "c1"}, time.Now()))
		deadline := time.After(5 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatal("the event stream ended before the event")
				}
				if l == "event: call.started" {
					return
				}
			case <-deadline:
				t.Fatal("no event on the stream")
			}
		}
	})
}

// boundsApp is an app on the backend with a tenant and an admin's token.
func boundsApp(t *testing.T, b storetest.Backend) (*app, string, string) {
	t.Helper()
	ctx := context.Background()
	cfg := config.Load(func(string) string { return "" })
	cfg.DataDir, cfg.DatabaseURL = t.TempDir(), b.URL(t)
	if err := cfg.Finish(); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("CALLREC_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	a, err := openApp(ctx, cfg, log, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	name := "Contoso"
	tn, err := a.accounts.CreateTenant(ctx, account.System, account.TenantInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	login, role, pw := "boss", roles.Admin, "Secret#2026"
	u, err := a.accounts.CreateUser(ctx, account.System, tn.ID, account.UserInput{Name: &login, Login: &login, Role: &role, Password: &pw})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := a.auth.CreateToken(ctx, u, "test")
	if err != nil {
		t.Fatal(err)
	}
	return a, tn.ID, token
}
