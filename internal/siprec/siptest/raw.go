// Package siptest writes SIP by hand for tests of the recorder's edge:
// requests with headers left out, forged in-dialog requests from another
// address, oversized or never-finished messages, garbage. A real SIP stack
// would refuse to send any of these, which is why they are written here.
package siptest

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Req is a request to write. Empty tags are left out.
type Req struct {
	Method  string
	Target  string // host:port of the recorder
	User    string // request-URI user (default "srs")
	CallID  string
	FromTag string
	ToTag   string
	CSeq    int // default 1
	Branch  string
	Via     string // sent-by host:port; default the peer's own address
	Body    string
	Type    string // Content-Type (default application/sdp when there is a body)
	Extra   []string
}

// Random returns n random hex digits, for tags, branches and Call-IDs.
func Random(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

// String writes the request, with Content-Length.
func (r Req) String() string {
	user := r.User
	if user == "" {
		user = "srs"
	}
	cseq := r.CSeq
	if cseq == 0 {
		cseq = 1
	}
	branch := r.Branch
	if branch == "" {
		branch = "z9hG4bK" + Random(12)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s sip:%s@%s SIP/2.0\r\n", r.Method, user, r.Target)
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP %s;branch=%s\r\n", r.Via, branch)
	b.WriteString("Max-Forwards: 70\r\n")
	from := "From: <sip:src@sbc.example>"
	if r.FromTag != "" {
		from += ";tag=" + r.FromTag
	}
	to := "To: <sip:" + user + "@" + r.Target + ">"
	if r.ToTag != "" {
		to += ";tag=" + r.ToTag
	}
	b.WriteString(from + "\r\n" + to + "\r\n")
	fmt.Fprintf(&b, "Call-ID: %s\r\nCSeq: %d %s\r\n", r.CallID, cseq, r.Method)
	b.WriteString("Contact: <sip:src@" + r.Via + ">\r\n")
	for _, h := range r.Extra {
		b.WriteString(h + "\r\n")
	}
	if r.Body != "" {
		t := r.Type
		if t == "" {
			t = "application/sdp"
		}
		b.WriteString("Content-Type: " + t + "\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(r.Body), r.Body)
	return b.String()
}

// Without removes every line of the header name (case-insensitive) from a
// message written by Req.String.
func Without(msg, name string) string {
	head, body, _ := strings.Cut(msg, "\r\n\r\n")
	var keep []string
	for _, line := range strings.Split(head, "\r\n") {
		n, _, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(n), name) {
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "\r\n") + "\r\n\r\n" + body
}

// Replace sets the value of header name, which must be present.
func Replace(msg, name, value string) string {
	lines := strings.Split(msg, "\r\n")
	for i, line := range lines {
		if n, _, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(n), name) {
			lines[i] = name + ": " + value
			break
		}
	}
	return strings.Join(lines, "\r\n")
}

// Peer is a socket of a test SIP peer on a chosen local address.
type Peer struct {
	Network string
	udp     *net.UDPConn
	target  *net.UDPAddr
	tcp     net.Conn
	rd      *bufio.Reader
}

// Dial opens a peer from localIP ("127.0.0.2") to the recorder's target.
func Dial(network, localIP, target string) (*Peer, error) {
	switch network {
	case "udp":
		raddr, err := net.ResolveUDPAddr("udp", target)
		if err != nil {
			return nil, err
		}
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(localIP)})
		if err != nil {
			return nil, err
		}
		return &Peer{Network: network, udp: c, target: raddr}, nil
	case "tcp":
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(localIP)}, Timeout: 5 * time.Second}
		c, err := d.Dial("tcp", target)
		if err != nil {
			return nil, err
		}
		return &Peer{Network: network, tcp: c, rd: bufio.NewReader(c)}, nil
	}
	return nil, fmt.Errorf("siptest: network %q", network)
}

// Addr is the peer's own host:port, for Via.
func (p *Peer) Addr() string {
	if p.udp != nil {
		return p.udp.LocalAddr().String()
	}
	return p.tcp.LocalAddr().String()
}

// Close closes the socket.
func (p *Peer) Close() error {
	if p.udp != nil {
		return p.udp.Close()
	}
	return p.tcp.Close()
}

// Abort resets a TCP connection instead of closing it, so a test that
// opens thousands leaves no TIME_WAIT sockets to exhaust the ports.
func (p *Peer) Abort() error {
	if tc, ok := p.tcp.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	return p.Close()
}

// Send writes raw bytes.
func (p *Peer) Send(b []byte) error {
	if p.udp != nil {
		_, err := p.udp.WriteToUDP(b, p.target)
		return err
	}
	_, err := p.tcp.Write(b)
	return err
}

// Do sends a request and waits for its final response.
func (p *Peer) Do(r Req, timeout time.Duration) (Response, error) {
	if r.Via == "" {
		r.Via = p.Addr()
	}
	if err := p.Send([]byte(r.String())); err != nil {
		return Response{}, err
	}
	return p.Final(timeout)
}

// Response is a SIP response as read.
type Response struct {
	Code int
	Raw  string
}

// Header returns the first value of a header, or "".
func (r Response) Header(name string) string {
	head, _, _ := strings.Cut(r.Raw, "\r\n\r\n")
	for _, line := range strings.Split(head, "\r\n")[1:] {
		if n, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(n), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Final reads responses until a final one (≥ 200) or the timeout.
func (p *Peer) Final(timeout time.Duration) (Response, error) {
	deadline := time.Now().Add(timeout)
	for {
		r, err := p.Next(time.Until(deadline))
		if err != nil || r.Code >= 200 {
			return r, err
		}
	}
}

// Next reads one message.
func (p *Peer) Next(timeout time.Duration) (Response, error) {
	var raw string
	if p.udp != nil {
		_ = p.udp.SetReadDeadline(time.Now().Add(timeout))
		buf := make([]byte, 65536)
		n, _, err := p.udp.ReadFromUDP(buf)
		if err != nil {
			return Response{}, err
		}
		raw = string(buf[:n])
	} else {
		_ = p.tcp.SetReadDeadline(time.Now().Add(timeout))
		var err error
		if raw, err = p.readStream(); err != nil {
			return Response{}, err
		}
	}
	var code int
	if f := strings.Fields(raw); len(f) > 1 && strings.HasPrefix(f[0], "SIP/") {
		code, _ = strconv.Atoi(f[1])
	}
	return Response{Code: code, Raw: raw}, nil
}

func (p *Peer) readStream() (string, error) {
	var b strings.Builder
	length := 0
	for {
		line, err := p.rd.ReadString('\n')
		if err != nil {
			return "", err
		}
		if b.Len() == 0 && line == "\r\n" {
			continue // keep-alive pong
		}
		b.WriteString(line)
		if n, v, ok := strings.Cut(line, ":"); ok && (strings.EqualFold(strings.TrimSpace(n), "Content-Length") || strings.TrimSpace(n) == "l") {
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		}
		if line == "\r\n" {
			break
		}
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(p.rd, body); err != nil {
		return "", err
	}
	return b.String() + string(body), nil
}

// ClosedWithin tells whether the recorder closes the TCP connection within
// d (reading and discarding anything it still sends).
func (p *Peer) ClosedWithin(d time.Duration) bool {
	_ = p.tcp.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, p.rd)
	var ne net.Error
	return err == nil || !(errors.As(err, &ne) && ne.Timeout())
}
