package siprec

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// packetConn is the recorder's UDP socket as the SIP stack reads it:
// every datagram passes the edge first.
type packetConn struct {
	net.PacketConn
	edge *edge
	buf  []byte
}

func (e *edge) packetConn(pc net.PacketConn) *packetConn {
	return &packetConn{PacketConn: pc, edge: e, buf: make([]byte, 65536)}
}

// ReadFrom returns the next datagram fit for the SIP stack; the rest is
// answered or dropped here.
func (c *packetConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(c.buf)
		if err != nil {
			return 0, addr, err
		}
		data := c.buf[:n]
		if keepAlive(data) {
			return copy(p, data), addr, nil
		}
		src := addrOf(addr)
		reply := func(b []byte) { _, _ = c.PacketConn.WriteTo(b, addr) }
		if n > len(p) {
			c.edge.tooLarge("udp", src, data, reply)
			continue
		}
		if v, _ := c.edge.screen("udp", src, data, reply); v != pass {
			continue
		}
		return copy(p, data), addr, nil
	}
}

// tooLarge answers 513 to an oversized message, from what its headers
// tell, and counts it.
func (e *edge) tooLarge(transport string, src netip.Addr, data []byte, reply func([]byte)) {
	head := data
	if i := bytes.Index(head, []byte("\r\n\r\n")); i >= 0 {
		head = head[:i+2]
	} else if i := bytes.LastIndex(head, []byte("\r\n")); i >= 0 {
		head = head[:i+2]
	}
	msg, _, _ := e.parser.ParseHeaders(append(head[:len(head):len(head)], '\r', '\n'), false)
	if req, ok := msg.(*sip.Request); ok && req.Via() != nil {
		e.refuse(transport, src, req, 513, "Message Too Large", "message exceeds the recorder's limit", evTooLarge, data, reply)
		return
	}
	e.count(transport, evTooLarge, src, "message exceeds the recorder's limit", data)
}

// listener hands the SIP stack TCP connections that pass the edge.
type listener struct {
	net.Listener
	edge *edge
}

func (e *edge) listener(ln net.Listener) net.Listener { return &listener{Listener: ln, edge: e} }

// Accept wraps each connection.
func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &streamConn{Conn: c, edge: l.edge, src: addrOf(c.RemoteAddr()), calls: map[string]bool{}}, nil
}

// streamConn frames the SIP messages of one TCP connection (RFC 3261
// 18.3: headers, then Content-Length bytes of body), screens each, and
// enforces the limits: a message too large is answered 513 and the
// connection closed, one not completed within MessageTimeout is cut off,
// and so is a connection idle for IdleTimeout without a live dialog.
type streamConn struct {
	net.Conn
	edge *edge
	src  netip.Addr

	in       []byte // received, not yet framed
	out      []byte // framed messages for the SIP stack
	started  time.Time
	hdrEnd   int // length of the header section of the message in `in`, 0 if not yet known
	need     int // length of that whole message, known with hdrEnd
	scanned  int // bytes of `in` already searched for the end of headers
	calls    map[string]bool
	closeErr error

	writeMu sync.Mutex
}

// Read returns framed, screened messages; an error ends the connection.
func (c *streamConn) Read(p []byte) (int, error) {
	for len(c.out) == 0 {
		if c.closeErr != nil {
			return 0, c.closeErr
		}
		if err := c.fill(); err != nil {
			// The SIP stack closes the connection on this error.
			c.closeErr = err
			return 0, err
		}
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

// fill reads from the socket until at least one message is framed, the
// peer's time is up, or the input is refused.
func (c *streamConn) fill() error {
	var buf [16 << 10]byte
	for len(c.out) == 0 {
		if err := c.frame(); err != nil {
			return err
		}
		if len(c.out) > 0 {
			return nil
		}
		_ = c.Conn.SetReadDeadline(c.deadline())
		n, err := c.Conn.Read(buf[:])
		if n > 0 {
			if len(c.in) == 0 {
				c.started = time.Now()
			}
			c.in = append(c.in, buf[:n]...)
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			if len(c.in) > 0 {
				c.edge.count("tcp", evSlow, c.src, "message not completed in time", c.in)
				return io.EOF
			}
			if c.hasDialog() {
				continue
			}
			c.edge.events.WithLabelValues("tcp", evIdle).Inc()
			return io.EOF
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *streamConn) deadline() time.Time {
	if len(c.in) > 0 {
		return c.started.Add(c.edge.limits.MessageTimeout)
	}
	return time.Now().Add(c.edge.limits.IdleTimeout)
}

// hasDialog tells whether an INVITE of this connection is still live.
func (c *streamConn) hasDialog() bool {
	live := false
	for id := range c.calls {
		if c.edge.live != nil && c.edge.live(id) {
			live = true
		} else {
			delete(c.calls, id)
		}
	}
	return live
}

// frame moves every complete message of `in` to `out`, after screening.
func (c *streamConn) frame() error {
	for {
		if c.hdrEnd == 0 {
			// Keep-alives (RFC 5626 3.5.1): a double CRLF is answered with one.
			for len(c.in) >= 2 && c.in[0] == '\r' && c.in[1] == '\n' {
				if len(c.in) >= 4 && c.in[2] == '\r' && c.in[3] == '\n' {
					c.write([]byte("\r\n"))
					c.in = c.in[4:]
					continue
				}
				c.in = c.in[2:]
			}
			from := max(c.scanned-3, 0)
			i := bytes.Index(c.in[from:], []byte("\r\n\r\n"))
			if i < 0 {
				c.scanned = len(c.in)
				if len(c.in) > c.edge.limits.MaxMessage {
					c.edge.tooLarge("tcp", c.src, c.in, c.write)
					return io.EOF
				}
				return nil
			}
			c.hdrEnd = from + i + 4
			msg, _, err := c.edge.parser.ParseHeaders(c.in[:c.hdrEnd], true)
			if err != nil {
				c.edge.screen("tcp", c.src, c.in[:c.hdrEnd], c.write)
				return io.EOF
			}
			c.need = c.hdrEnd
			cl := msg.ContentLength()
			if cl == nil {
				// RFC 3261 18.3: a stream has no other way to find a
				// message's end; the headers alone are refused.
				if req, ok := msg.(*sip.Request); ok && req.Via() != nil {
					c.edge.refuse("tcp", c.src, req, 400, "Bad Request", "missing Content-Length header (required over TCP)", evBadRequest, c.in[:c.hdrEnd], c.write)
				} else {
					c.edge.count("tcp", evUnparseable, c.src, "no Content-Length", c.in[:c.hdrEnd])
				}
				c.in = c.in[c.hdrEnd:]
				c.started, c.hdrEnd, c.need, c.scanned = time.Now(), 0, 0, 0
				continue
			}
			c.need += int(*cl)
			if c.need > c.edge.limits.MaxMessage {
				c.edge.tooLarge("tcp", c.src, c.in[:c.hdrEnd], c.write)
				return io.EOF
			}
		}
		if len(c.in) < c.need {
			return nil
		}
		data := c.in[:c.need:c.need]
		v, msg := c.edge.screen("tcp", c.src, data, c.write)
		if v == garbage {
			return io.EOF
		}
		if v == pass {
			if req, ok := msg.(*sip.Request); ok && req.IsInvite() && !hasToTag(req) && len(c.calls) < 4096 {
				c.calls[req.CallID().Value()] = true
			}
			c.out = append(c.out, data...)
		}
		c.in = c.in[c.need:]
		if len(c.in) == 0 {
			c.in = nil
		}
		c.started, c.hdrEnd, c.need, c.scanned = time.Now(), 0, 0, 0
	}
}

// write sends bytes the edge answers with; the SIP stack writes too.
func (c *streamConn) write(b []byte) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_ = c.Conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, _ = c.Conn.Write(b)
	_ = c.Conn.SetWriteDeadline(time.Time{})
}
