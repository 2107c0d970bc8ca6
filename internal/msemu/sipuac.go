package msemu

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SIP timers of the media edge's user agent.
const (
	sipT1         = 500 * time.Millisecond
	inviteTimeout = 8 * time.Second
	byeTimeout    = 2 * time.Second
)

// errSessionDropped is a recording session the recorder ended or lost.
var errSessionDropped = errors.New("msemu: the recorder ended the SIPREC session")

// sipTarget is where the answer's blob says the recorder listens.
type sipTarget struct {
	URI       string // the request URI, as the blob gives it
	Addr      string // host:port
	Host      string
	Transport string // udp or tcp
}

// parseSIPTarget reads "sip:host[:port][;transport=udp|tcp]"; TCP and port
// 5060 when not given.
func parseSIPTarget(s string) (sipTarget, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "sip:")
	if !ok || rest == "" {
		return sipTarget{}, fmt.Errorf("msemu: SIPREC target %q is not a sip: URI", s)
	}
	hostport, params, _ := strings.Cut(rest, ";")
	if _, hp, ok := strings.Cut(hostport, "@"); ok {
		hostport = hp
	}
	t := sipTarget{URI: "sip:" + rest, Transport: "tcp"}
	for _, p := range strings.Split(params, ";") {
		if k, v, _ := strings.Cut(p, "="); strings.EqualFold(k, "transport") {
			t.Transport = strings.ToLower(v)
		}
	}
	if t.Transport != "tcp" && t.Transport != "udp" {
		return sipTarget{}, fmt.Errorf("msemu: SIPREC transport %q: want udp or tcp", t.Transport)
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = strings.Trim(hostport, "[]"), "5060"
	}
	if host == "" {
		return sipTarget{}, fmt.Errorf("msemu: SIPREC target %q has no host", s)
	}
	t.Host, t.Addr = host, net.JoinHostPort(host, port)
	return t, nil
}

// sipUA is the media edge's user agent client for one recording session:
// one connection (TCP, or connected UDP) to the recorder.
type sipUA struct {
	t         sipTarget
	conn      net.Conn
	local     string // our host:port, for Via and Contact
	localIP   string
	domain    string
	callID    string
	fromTag   string
	toHeader  string
	remoteURI string
	msgs      chan *sipMsg
	dropped   chan struct{}
	dropOnce  sync.Once
	writeMu   sync.Mutex
}

func dialSIP(ctx context.Context, t sipTarget, domain string) (*sipUA, error) {
	d := net.Dialer{Timeout: 3 * time.Second}
	conn, err := d.DialContext(ctx, t.Transport, t.Addr)
	if err != nil {
		return nil, fmt.Errorf("msemu: connect to recorder: %w", err)
	}
	u := &sipUA{t: t, conn: conn, local: conn.LocalAddr().String(), domain: domain,
		callID: randomToken(12) + "@msemu", fromTag: randomToken(6),
		msgs: make(chan *sipMsg, 16), dropped: make(chan struct{})}
	u.localIP, _, _ = net.SplitHostPort(u.local)
	go u.readLoop()
	return u, nil
}

func (u *sipUA) close() { _ = u.conn.Close() }

func (u *sipUA) drop() { u.dropOnce.Do(func() { close(u.dropped) }) }

// readLoop hands responses to the waiting side and answers the recorder's
// own requests; a BYE from it, or a closed TCP connection, drops the session.
func (u *sipUA) readLoop() {
	if u.t.Transport == "tcp" {
		defer u.drop()
		br := bufio.NewReader(u.conn)
		for {
			m, err := readSIPStream(br)
			if err != nil {
				return
			}
			u.handle(m)
		}
	}
	buf := make([]byte, maxSIPMessage)
	for {
		n, err := u.conn.Read(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue // ICMP unreachable on connected UDP; the INVITE timer decides
		}
		if m, err := parseSIPDatagram(buf[:n]); err == nil {
			u.handle(m)
		}
	}
}

func (u *sipUA) handle(m *sipMsg) {
	switch m.Method {
	case "":
		select {
		case u.msgs <- m:
		default:
		}
	case "BYE":
		u.reply(m, 200, "OK")
		u.drop()
	case "OPTIONS":
		u.reply(m, 200, "OK")
	case "ACK":
	case "INVITE", "UPDATE":
		u.reply(m, 488, "Not Acceptable Here")
	default:
		u.reply(m, 501, "Not Implemented")
	}
}

func (u *sipUA) write(b []byte) error {
	u.writeMu.Lock()
	defer u.writeMu.Unlock()
	_, err := u.conn.Write(b)
	return err
}

func (u *sipUA) reply(req *sipMsg, code int, reason string) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "SIP/2.0 %d %s\r\n", code, reason)
	for _, h := range req.Headers {
		switch h.Name {
		case "via", "from", "to", "call-id", "cseq":
			fmt.Fprintf(&b, "%s: %s\r\n", canonicalHeader(h.Name), h.Value)
		}
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	_ = u.write(b.Bytes())
}

func canonicalHeader(name string) string {
	switch name {
	case "call-id":
		return "Call-ID"
	case "cseq":
		return "CSeq"
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

// request formats a request of the session's dialog.
func (u *sipUA) request(method, ruri, branch string, cseq int, to string, extra []sipHeader, body []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s SIP/2.0\r\n", method, ruri)
	fmt.Fprintf(&b, "Via: SIP/2.0/%s %s;branch=%s;rport\r\n", strings.ToUpper(u.t.Transport), u.local, branch)
	fmt.Fprintf(&b, "Max-Forwards: 70\r\nFrom: \"Microsoft Teams\" <sip:media-edge@%s>;tag=%s\r\n", u.domain, u.fromTag)
	fmt.Fprintf(&b, "To: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\n", to, u.callID, cseq, method)
	fmt.Fprintf(&b, "Contact: <sip:media-edge@%s;transport=%s>;+sip.src\r\nUser-Agent: msemu-media-edge\r\n", u.local, u.t.Transport)
	for _, h := range extra {
		fmt.Fprintf(&b, "%s: %s\r\n", h.Name, h.Value)
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(body))
	b.Write(body)
	return b.Bytes()
}

func newBranch() string { return "z9hG4bK" + randomToken(9) }

// sipStatusError is a final non-2xx answer to the INVITE.
type sipStatusError struct{ Code int }

func (e *sipStatusError) Error() string {
	return "msemu: recorder answered the SIPREC INVITE with " + strconv.Itoa(e.Code)
}

// invite sends the INVITE and waits for its final answer, retransmitting
// over UDP; a 2xx is acknowledged and opens the dialog.
func (u *sipUA) invite(ctx context.Context, contentType string, body []byte) (*sipMsg, error) {
	branch := newBranch()
	to := "<" + strings.SplitN(u.t.URI, ";", 2)[0] + ">"
	req := u.request("INVITE", u.t.URI, branch, 1, to, []sipHeader{
		{"Content-Type", contentType}, {"Require", "siprec"},
		{"Accept", "application/sdp, application/rs-metadata+xml"},
		{"Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS"}, {"Supported", "replaces"},
	}, body)
	m, err := u.transact(ctx, req, "INVITE", inviteTimeout)
	if err != nil {
		return nil, err
	}
	if m.Status >= 300 {
		ack := u.request("ACK", u.t.URI, branch, 1, m.get("to"), nil, nil)
		_ = u.write(ack)
		return m, &sipStatusError{m.Status}
	}
	u.toHeader, u.remoteURI = m.get("to"), contactURI(m.get("contact"))
	if u.remoteURI == "" {
		u.remoteURI = u.t.URI
	}
	return m, u.ack()
}

func (u *sipUA) ack() error {
	return u.write(u.request("ACK", u.remoteURI, newBranch(), 1, u.toHeader, nil, nil))
}

// bye ends the dialog and returns the recorder's status (0 if none came).
func (u *sipUA) bye() (int, error) {
	req := u.request("BYE", u.remoteURI, newBranch(), 2, u.toHeader, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
	defer cancel()
	m, err := u.transact(ctx, req, "BYE", byeTimeout)
	if err != nil {
		return 0, err
	}
	return m.Status, nil
}

// transact sends a request and waits for its final response.
func (u *sipUA) transact(ctx context.Context, req []byte, method string, timeout time.Duration) (*sipMsg, error) {
	if err := u.write(req); err != nil {
		return nil, fmt.Errorf("msemu: send %s: %w", method, err)
	}
	var resend <-chan time.Time
	interval := sipT1
	var timer *time.Timer
	if u.t.Transport == "udp" {
		timer = time.NewTimer(interval)
		defer timer.Stop()
		resend = timer.C
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case m := <-u.msgs:
			switch {
			case m.cseqMethod() != method:
				if m.cseqMethod() == "INVITE" && m.Status < 300 && m.Status >= 200 {
					_ = u.ack() // a retransmitted 2xx: our ACK was lost
				}
			case m.Status < 200:
				resend = nil
			default:
				return m, nil
			}
		case <-resend:
			_ = u.write(req)
			interval = min(2*interval, 4*time.Second)
			timer.Reset(interval)
		case <-deadline.C:
			return nil, fmt.Errorf("msemu: no final answer to %s within %s", method, timeout)
		case <-u.dropped:
			return nil, fmt.Errorf("msemu: %s: %w", method, errSessionDropped)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
