package siprec_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"callrec/internal/recovery"
	"callrec/internal/siprec"
	"callrec/internal/siprec/siptest"
)

// offer is an SDP offer of one PCMU stream.
const offer = "v=0\r\no=SBC 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=sendonly\r\n"

// stub is a Handler that keeps dialogs in a map: enough to drive the
// server's edge without a recorder.
type stub struct {
	mu      sync.Mutex
	dialogs map[string]siprec.Dialog
	ended   []siprec.Dialog // as End saw them
	release chan struct{}   // Start of a request-URI user "slow" waits for it
}

func (s *stub) Start(_ context.Context, o siprec.Offer) ([]byte, error) {
	switch {
	case strings.HasPrefix(o.RequestURI, "panic@"):
		_ = strings.Split(o.RequestURI, "@")[2] // out of range: the kind of bug bad input finds
	case strings.HasPrefix(o.RequestURI, "slow@"):
		<-s.release
	}
	s.mu.Lock()
	s.dialogs[o.CallID] = o.Dialog
	s.mu.Unlock()
	return []byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"), nil
}

func (s *stub) Change(_ context.Context, o siprec.Offer) ([]byte, error) {
	if !s.Live(o.CallID) {
		return nil, siprec.ErrNoSession
	}
	return []byte("v=0\r\n"), nil
}

func (s *stub) End(_ context.Context, d siprec.Dialog, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.dialogs[d.CallID]; !ok {
		return siprec.ErrNoSession
	}
	delete(s.dialogs, d.CallID)
	s.ended = append(s.ended, d)
	return nil
}

func (s *stub) Live(callID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.dialogs[callID]
	return ok
}

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Len() int { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Len() }

func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

type server struct {
	addr  string
	h     *stub
	logs  *lockedBuffer
	reg   *prometheus.Registry
	guard *recovery.Guard
}

func startServer(t testing.TB, limits siprec.Limits) *server {
	t.Helper()
	return startServerWith(t, siprec.Options{Limits: limits})
}

// startServerWith starts a server with these options; the guard and
// metrics are the test's own.
func startServerWith(t testing.TB, o siprec.Options) *server {
	t.Helper()
	s := &server{h: &stub{dialogs: map[string]siprec.Dialog{}, release: make(chan struct{})}, logs: &lockedBuffer{}, reg: prometheus.NewRegistry()}
	log := slog.New(slog.NewTextHandler(s.logs, nil))
	s.guard = recovery.New(log, s.reg)
	o.Guard, o.Metrics = s.guard, s.reg
	srv, err := siprec.NewServer(s.h, log, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, "127.0.0.1:0", func(a net.Addr) { ready <- a.String() }) }()
	select {
	case s.addr = <-ready:
	case err := <-done:
		t.Fatal(err)
	}
	t.Cleanup(func() { close(s.h.release); cancel(); <-done })
	return s
}

func (s *server) peer(t testing.TB, network, ip string) *siptest.Peer {
	t.Helper()
	p, err := siptest.Dial(network, ip, s.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// alive checks that the server still answers OPTIONS on both transports.
func (s *server) alive(t testing.TB) {
	t.Helper()
	for _, network := range []string{"udp", "tcp"} {
		p := s.peer(t, network, "127.0.0.1")
		r, err := p.Do(siptest.Req{Method: "OPTIONS", Target: s.addr, CallID: siptest.Random(16), FromTag: "a"}, 5*time.Second)
		if err != nil || r.Code != 200 {
			t.Fatalf("OPTIONS over %s after the test input: %d %v", network, r.Code, err)
		}
	}
}

func (s *server) edgeCount(transport, event string) float64 {
	return counter(s.reg, "callrec_sip_edge_total", map[string]string{"transport": transport, "event": event})
}

// counter reads the value of a registered counter with these labels (0
// when it has none yet).
func counter(reg *prometheus.Registry, name string, labels map[string]string) float64 {
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if labels[lp.GetName()] != lp.GetValue() {
					continue next
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// TestMandatoryHeaders: a request missing Call-ID, From, To, CSeq or Via,
// or with one malformed, is answered 400 with a Warning naming it, over
// UDP and TCP, and the server goes on answering.
func TestMandatoryHeaders(t *testing.T) {
	s := startServer(t, siprec.Limits{})
	for _, network := range []string{"udp", "tcp"} {
		for _, method := range []string{"INVITE", "BYE", "UPDATE", "OPTIONS", "CANCEL"} {
			cases := []struct{ header, value, want string }{
				{"Call-ID", "", "missing Call-ID"},
				{"From", "", "missing From"},
				{"To", "", "missing To"},
				{"CSeq", "", "missing CSeq"},
				{"Via", "", "missing Via"},
				{"CSeq", "one " + method, "malformed CSeq"},
				{"CSeq", "1 OPTIONSX", "CSeq method"},
				{"From", "<<<", "malformed From"},
			}
			for _, c := range cases {
				t.Run(network+"/"+method+"/"+c.want, func(t *testing.T) {
					p := s.peer(t, network, "127.0.0.1")
					msg := siptest.Req{Method: method, Target: s.addr, CallID: siptest.Random(16), FromTag: "f", Via: p.Addr(),
						Body: map[bool]string{true: offer}[method == "INVITE"]}.String()
					if c.value == "" {
						msg = siptest.Without(msg, c.header)
					} else {
						msg = siptest.Replace(msg, c.header, c.value)
					}
					if err := p.Send([]byte(msg)); err != nil {
						t.Fatal(err)
					}
					r, err := p.Final(5 * time.Second)
					if err != nil {
						t.Fatalf("no answer: %v", err)
					}
					if r.Code != 400 || !strings.Contains(r.Header("Warning"), c.want) {
						t.Fatalf("answered %d, Warning %q; want 400 naming %q\n%s", r.Code, r.Header("Warning"), c.want, r.Raw)
					}
				})
			}
		}
	}
	s.alive(t)
	if n := s.edgeCount("udp", "bad_request") + s.edgeCount("tcp", "bad_request"); n != 80 {
		t.Errorf("counted %v bad requests, want 80", n)
	}
}

// TestHandlerPanic: a handler that panics on some input costs that
// request a 500, is logged once with its stack and counted; the server
// goes on serving.
func TestHandlerPanic(t *testing.T) {
	s := startServer(t, siprec.Limits{})
	p := s.peer(t, "udp", "127.0.0.1")
	r, err := p.Do(siptest.Req{Method: "INVITE", Target: s.addr, User: "panic", CallID: siptest.Random(16), FromTag: "f", Body: offer}, 5*time.Second)
	if err != nil || r.Code != 500 {
		t.Fatalf("panicking INVITE answered %d %v, want 500", r.Code, err)
	}
	s.alive(t)
	if n := s.guard.Count("sip INVITE"); n != 1 {
		t.Errorf("panics counted %v, want 1", n)
	}
	if logs := s.logs.String(); strings.Count(logs, "panic recovered") != 1 || !strings.Contains(logs, "edge_test.go") {
		t.Errorf("want one log line with the stack:\n%s", logs)
	}
}

// TestOversizeMessages: over TCP a message beyond the limit is answered
// 513 and the connection closed; over UDP a datagram beyond the stack's
// buffer is answered 513.
func TestOversizeMessages(t *testing.T) {
	s := startServer(t, siprec.Limits{MaxMessage: 16 << 10})
	big := strings.Repeat("a=x-filler:0123456789abcdef0123456789abcdef\r\n", 500) // 22 KB
	tcp := s.peer(t, "tcp", "127.0.0.1")
	r, err := tcp.Do(siptest.Req{Method: "INVITE", Target: s.addr, CallID: siptest.Random(16), FromTag: "f", Body: offer + big}, 5*time.Second)
	if err != nil || r.Code != 513 {
		t.Fatalf("oversized TCP INVITE answered %d %v, want 513", r.Code, err)
	}
	if !tcp.ClosedWithin(5 * time.Second) {
		t.Error("connection left open after 513")
	}
	// Headers that never end are refused the same way.
	tcp = s.peer(t, "tcp", "127.0.0.1")
	head := siptest.Req{Method: "INVITE", Target: s.addr, CallID: siptest.Random(16), FromTag: "f", Via: tcp.Addr()}.String()
	head = strings.TrimSuffix(head, "\r\n\r\n") + "\r\n" + strings.Repeat("X-Junk: 0123456789abcdef0123456789abcdef\r\n", 500)
	_ = tcp.Send([]byte(head))
	if r, err := tcp.Final(5 * time.Second); err != nil || r.Code != 513 {
		t.Fatalf("endless headers answered %d %v, want 513", r.Code, err)
	}
	udp := s.peer(t, "udp", "127.0.0.1")
	huge := offer + strings.Repeat(big, 2) // 44 KB: over the stack's 32 KiB buffer
	if r, err := udp.Do(siptest.Req{Method: "INVITE", Target: s.addr, CallID: siptest.Random(16), FromTag: "f", Body: huge}, 5*time.Second); err != nil || r.Code != 513 {
		t.Fatalf("oversized datagram answered %d %v, want 513", r.Code, err)
	}
	s.alive(t)
}

// TestSlowAndIdleTCP: a connection that does not complete a message in
// time is closed, and so is one idle without a dialog; one whose INVITE is
// still live stays open.
func TestSlowAndIdleTCP(t *testing.T) {
	s := startServer(t, siprec.Limits{MessageTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond})
	slow := s.peer(t, "tcp", "127.0.0.1")
	_ = slow.Send([]byte("INVITE sip:srs@" + s.addr + " SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5"))
	if !slow.ClosedWithin(5 * time.Second) {
		t.Fatal("a half-sent message kept its connection")
	}
	idle := s.peer(t, "tcp", "127.0.0.1")
	if !idle.ClosedWithin(5 * time.Second) {
		t.Fatal("an idle connection without dialog stayed open")
	}
	busy := s.peer(t, "tcp", "127.0.0.1")
	callID := siptest.Random(16)
	r, err := busy.Do(siptest.Req{Method: "INVITE", Target: s.addr, CallID: callID, FromTag: "f", Body: offer}, 5*time.Second)
	if err != nil || r.Code != 200 {
		t.Fatalf("INVITE: %d %v", r.Code, err)
	}
	if busy.ClosedWithin(time.Second) {
		t.Fatal("the connection of a live dialog was closed while idle")
	}
	if err := s.h.End(context.Background(), siprec.Dialog{CallID: callID}, "test"); err != nil {
		t.Fatal(err)
	}
	if !busy.ClosedWithin(5 * time.Second) {
		t.Fatal("idle connection stayed open after its dialog ended")
	}
	if s.edgeCount("tcp", "slow_close") != 1 || s.edgeCount("tcp", "idle_close") != 2 {
		t.Errorf("slow %v idle %v, want 1 and 2", s.edgeCount("tcp", "slow_close"), s.edgeCount("tcp", "idle_close"))
	}
}

// TestGarbageFlood: 2 MB of unparseable input from one source is counted
// and logged a bounded number of times, in lines of bounded length.
func TestGarbageFlood(t *testing.T) {
	s := startServer(t, siprec.Limits{})
	junk := bytes.Repeat([]byte("INVITE garbage \x00\xff not sip at all "), 30) // ~1 KB
	udp := s.peer(t, "udp", "127.0.0.1")
	for range 1000 {
		_ = udp.Send(junk)
	}
	for range 50 {
		p := s.peer(t, "tcp", "127.0.0.1")
		for range 20 {
			_ = p.Send(append(junk, "\r\n\r\n"...))
		}
		p.ClosedWithin(5 * time.Second)
	}
	s.alive(t)
	if n := s.edgeCount("udp", "unparseable"); n < 500 {
		t.Errorf("counted %v unparseable datagrams of 1000", n)
	}
	if n := s.edgeCount("tcp", "unparseable"); n != 50 {
		t.Errorf("counted %v unparseable TCP messages, want 50 (one per connection, then closed)", n)
	}
	if s.logs.Len() > 4096 {
		t.Errorf("2 MB of garbage wrote %d bytes of log:\n%.2000s", s.logs.Len(), s.logs.String())
	}
	if !strings.Contains(s.logs.String(), "INVITE garbage") {
		t.Errorf("the log does not quote the input:\n%s", s.logs.String())
	}
}

// TestCancelFromAnotherAddress: only the address that sent an INVITE can
// CANCEL it.
func TestCancelFromAnotherAddress(t *testing.T) {
	s := startServer(t, siprec.Limits{})
	a := s.peer(t, "udp", "127.0.0.1")
	b := s.peer(t, "udp", "127.0.0.2")
	inv := siptest.Req{Method: "INVITE", Target: s.addr, User: "slow", CallID: siptest.Random(16), FromTag: "f", Branch: "z9hG4bK" + siptest.Random(10), Via: a.Addr(), Body: offer}
	if err := a.Send([]byte(inv.String())); err != nil {
		t.Fatal(err)
	}
	cancel := inv
	cancel.Method, cancel.Body = "CANCEL", ""
	if r, err := b.Do(cancel, 5*time.Second); err != nil || r.Code != 481 {
		t.Fatalf("CANCEL from another address: %d %v, want 481", r.Code, err)
	}
	if r, err := a.Do(cancel, 5*time.Second); err != nil || r.Code != 200 {
		t.Fatalf("CANCEL from the INVITE's address: %d %v, want 200", r.Code, err)
	}
	r, err := a.Final(5 * time.Second)
	if err != nil || r.Code != 487 {
		t.Fatalf("cancelled INVITE answered %d %v, want 487", r.Code, err)
	}
}

// FuzzServer sends arbitrary bytes to a live server over UDP and TCP and
// checks that it still answers: no input may stop the process.
func FuzzServer(f *testing.F) {
	s := startServer(f, siprec.Limits{MessageTimeout: time.Second, IdleTimeout: time.Second})
	seed := siptest.Req{Method: "INVITE", Target: s.addr, CallID: "c1", FromTag: "f", Via: "127.0.0.1:5060", Body: offer}.String()
	f.Add([]byte(seed))
	f.Add([]byte(siptest.Without(seed, "Call-ID")))
	f.Add([]byte(siptest.Replace(seed, "CSeq", "x INVITE")))
	f.Add([]byte(siptest.Req{Method: "BYE", Target: s.addr, CallID: "c1", FromTag: "f", ToTag: "t", Via: "127.0.0.1:5060"}.String()))
	f.Add([]byte("\r\n\r\n"))
	f.Add([]byte("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bKx\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"))
	udp := s.peer(f, "udp", "127.0.0.1")
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = udp.Send(b)
		tcp, err := siptest.Dial("tcp", "127.0.0.1", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = tcp.Send(b)
		_ = tcp.Abort()
		p, err := siptest.Dial("udp", "127.0.0.1", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		r, err := p.Do(siptest.Req{Method: "OPTIONS", Target: s.addr, CallID: siptest.Random(16), FromTag: "a"}, 5*time.Second)
		if err != nil || r.Code != 200 {
			t.Fatalf("server stopped answering after %q: %d %v", b, r.Code, err)
		}
	})
}
