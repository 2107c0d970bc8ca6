package httpserver_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"callrec/internal/httpserver"
)

// serve runs h within a write timeout of write.
func serve(t *testing.T, h http.HandlerFunc, write time.Duration) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config = httpserver.New(h, httpserver.Timeouts{ReadHeader: time.Second, Read: time.Second, Write: write, Idle: time.Second})
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// TestStreamOutlastsWriteTimeout: a stream written a line at a time keeps
// going past the server's write timeout while its client reads.
func TestStreamOutlastsWriteTimeout(t *testing.T) {
	const lines, write = 10, 200 * time.Millisecond
	addr := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w = httpserver.Stream(w, write)
		tick := time.NewTicker(write / 2) // the stream's own pace: 5 write timeouts in all
		defer tick.Stop()
		for i := 0; i < lines; i++ {
			<-tick.C
			_, _ = io.WriteString(w, "line\n")
			w.(http.Flusher).Flush()
		}
	}, write)
	res, err := http.Get("http://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	n := 0
	for sc := bufio.NewScanner(res.Body); sc.Scan(); n++ {
	}
	if n != lines {
		t.Errorf("%d lines, want %d", n, lines)
	}
}

// TestStreamLetsStalledClientGo: a stream whose client stops reading ends
// one per-write bound after the socket buffers fill, though the server's
// write timeout is an hour.
func TestStreamLetsStalledClientGo(t *testing.T) {
	const perWrite = 200 * time.Millisecond
	ended := make(chan error, 1)
	addr := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w = httpserver.Stream(w, perWrite)
		chunk := make([]byte, 32<<10)
		for {
			if _, err := w.Write(chunk); err != nil {
				ended <- err
				return
			}
		}
	}, time.Hour)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.(*net.TCPConn).SetReadBuffer(4 << 10)
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: callrec.test\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-ended:
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("stream ended with %v, want a write timeout", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stream still writes to a client that stopped reading")
	}
}

// TestLiftWithoutDeadlines: a writer that has no deadlines (a recorder) is
// left as it is.
func TestLiftWithoutDeadlines(t *testing.T) {
	rec := httptest.NewRecorder()
	w := httpserver.Stream(rec, time.Second)
	_, _ = io.WriteString(w, "data")
	w.(http.Flusher).Flush()
	if rec.Body.String() != "data" || !rec.Flushed {
		t.Errorf("body %q, flushed %v", rec.Body.String(), rec.Flushed)
	}
}
