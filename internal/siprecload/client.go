// Package siprecload is a SIPREC client of callrec's own: it places
// recording sessions (SIP INVITE with SDP and RFC 7865 metadata, then RTP)
// against a recorder. `callrec siprec-load` drives it for load, and the
// recorder's integration tests use it as their SBC.
package siprecload

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"callrec/internal/siprec"
)

// Client is a SIP user agent that places recording sessions.
type Client struct {
	ua     *sipgo.UserAgent
	client *sipgo.Client
	dialog *sipgo.DialogUA
	ip     string
}

// NewClient builds a client that sends from ip (e.g. 127.0.0.1).
func NewClient(ip string) (*Client, error) {
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("callrec-siprec-load"))
	if err != nil {
		return nil, fmt.Errorf("siprecload: %w", err)
	}
	// Bind the connections to ip too, not only the Via: over TCP the
	// system would otherwise pick the source address, and a proxy in front
	// of the recorder names the SRC by the address it connected from.
	cl, err := sipgo.NewClient(ua, sipgo.WithClientHostname(ip), sipgo.WithClientConnectionAddr(net.JoinHostPort(ip, "0")))
	if err != nil {
		return nil, fmt.Errorf("siprecload: %w", err)
	}
	contact := sip.ContactHeader{Address: sip.Uri{User: "src", Host: ip}, Params: sip.NewParams()}
	contact.Params.Add("+sip.src", "")
	return &Client{ua: ua, client: cl, dialog: &sipgo.DialogUA{Client: cl, ContactHDR: contact}, ip: ip}, nil
}

// Close releases the client's transports.
func (c *Client) Close() error { return c.ua.Close() }

// Stream is one participant's media stream in an offer.
type Stream struct {
	Label string
	AOR   string // the participant sending it
	Name  string
	PT    int    // payload type offered
	Codec string // rtpmap encoding, e.g. "PCMU/8000"; empty for static types
	// Crypto, when set, offers the stream as SRTP (RTP/SAVP) with this
	// key; its Flow must encrypt with it (Flow.Encrypt).
	Crypto *siprec.Crypto
	// Proto replaces the offered transport protocol (refusal tests).
	Proto string
}

// Spec describes a call to place.
type Spec struct {
	Target    string // recorder SIP host:port
	Transport string // udp (default) or tcp
	User      string // request-URI user
	Streams   []Stream
	// RTPFrom is the address and port every stream's RTP is sent from,
	// as the offer names it (the recorder takes packets from there
	// alone): the Pacer's, Pacer.Addr. Zero names the client's IP and
	// ports 40000+2i, which nothing sends from.
	RTPFrom netip.AddrPort
	// ContentType and Body replace the generated body (malformed-input tests).
	ContentType string
	Body        []byte
	NoMetadata  bool
}

// Call is an established recording session.
type Call struct {
	c       *Client
	sess    *sipgo.DialogClientSession
	spec    Spec
	Answer  siprec.SDP
	Targets []netip.AddrPort // where to send each stream's RTP
}

// StatusError is a final non-2xx answer.
type StatusError struct {
	Code       int
	RetryAfter int // seconds, from a Retry-After header (503); 0 if none
}

func (e *StatusError) Error() string { return "siprecload: INVITE answered " + strconv.Itoa(e.Code) }

// Dial sends the INVITE, waits for the answer and ACKs it.
func (c *Client) Dial(ctx context.Context, spec Spec) (*Call, error) {
	host, portStr, err := net.SplitHostPort(spec.Target)
	if err != nil {
		return nil, fmt.Errorf("siprecload: target %q: %w", spec.Target, err)
	}
	port, _ := strconv.Atoi(portStr)
	user := spec.User
	if user == "" {
		user = "srs"
	}
	ct, body := spec.ContentType, spec.Body
	if body == nil {
		ct, body = c.body(spec)
	}
	uri := sip.Uri{User: user, Host: host, Port: port}
	// RFC 3261 18.1.1: a request within 200 bytes of the path MTU goes over
	// TCP; SIPREC INVITEs with metadata usually do.
	if spec.Transport == "tcp" || (spec.Transport == "" && len(body) > 1000) {
		uri.UriParams = sip.NewParams()
		uri.UriParams.Add("transport", "tcp")
	}
	sess, err := c.dialog.Invite(ctx, uri, body, sip.NewHeader("Content-Type", ct), sip.NewHeader("Require", "siprec"))
	if err != nil {
		return nil, fmt.Errorf("siprecload: invite: %w", err)
	}
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		var de *sipgo.ErrDialogResponse
		if errors.As(err, &de) {
			sess.Close()
			se := &StatusError{Code: de.Res.StatusCode}
			if h := de.Res.GetHeader("Retry-After"); h != nil {
				se.RetryAfter, _ = strconv.Atoi(strings.TrimSpace(h.Value()))
			}
			return nil, se
		}
		sess.Close()
		return nil, fmt.Errorf("siprecload: answer: %w", err)
	}
	if err := sess.Ack(ctx); err != nil {
		sess.Close()
		return nil, fmt.Errorf("siprecload: ack: %w", err)
	}
	call := &Call{c: c, sess: sess, spec: spec}
	if err := call.readAnswer(sess.InviteResponse.Body()); err != nil {
		_ = call.Bye(ctx)
		return nil, err
	}
	return call, nil
}

func (call *Call) readAnswer(b []byte) error {
	ans, err := siprec.ParseSDP(b)
	if err != nil {
		return fmt.Errorf("siprecload: answer SDP: %w", err)
	}
	call.Answer = ans
	call.Targets = nil
	for _, m := range ans.Media {
		call.Targets = append(call.Targets, netip.AddrPortFrom(m.Addr, uint16(m.Port)))
	}
	return nil
}

// Reinvite changes the session: a stream whose paused entry is true is
// offered a=inactive (recording paused), the others sendonly.
func (call *Call) Reinvite(ctx context.Context, paused []bool) error {
	return call.reinvite(ctx, call.c.sdp(call.spec, paused))
}

// Reoffer changes the call's offer (where its RTP comes from, its keys,
// its profile) and sends it as a re-INVITE with every stream active; the
// change is kept once the recorder accepts it.
func (call *Call) Reoffer(ctx context.Context, change func(*Spec)) error {
	spec := call.spec
	spec.Streams = slices.Clone(spec.Streams)
	change(&spec)
	if err := call.reinvite(ctx, call.c.sdp(spec, nil)); err != nil {
		return err
	}
	call.spec = spec
	return nil
}

func (call *Call) reinvite(ctx context.Context, sdp []byte) error {
	req := sip.NewRequest(sip.INVITE, call.sess.InviteRequest.Recipient)
	req.SetBody(sdp)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	res, err := call.sess.Do(ctx, req)
	if err != nil {
		return fmt.Errorf("siprecload: re-invite: %w", err)
	}
	if res.StatusCode != 200 {
		return &StatusError{Code: res.StatusCode}
	}
	ack := sip.NewRequest(sip.ACK, call.sess.InviteRequest.Recipient)
	if err := call.sess.WriteRequest(ack); err != nil {
		return fmt.Errorf("siprecload: re-invite ack: %w", err)
	}
	return call.readAnswer(res.Body())
}

// Bye ends the session.
func (call *Call) Bye(ctx context.Context) error {
	defer call.sess.Close()
	if err := call.sess.Bye(ctx); err != nil {
		return fmt.Errorf("siprecload: bye: %w", err)
	}
	return nil
}

// CallID is the session's SIP Call-ID.
func (call *Call) CallID() string { return call.sess.InviteRequest.CallID().Value() }

const boundary = "callrec-siprec-boundary"

func (c *Client) body(spec Spec) (string, []byte) {
	sdp := c.sdp(spec, nil)
	if spec.NoMetadata {
		return "application/sdp", sdp
	}
	var b strings.Builder
	b.WriteString("--" + boundary + "\r\nContent-Type: application/sdp\r\n\r\n")
	b.Write(sdp)
	b.WriteString("\r\n--" + boundary + "\r\nContent-Type: application/rs-metadata+xml\r\nContent-Disposition: recording-session\r\n\r\n")
	b.WriteString(Metadata(spec.Streams))
	b.WriteString("\r\n--" + boundary + "--\r\n")
	return "multipart/mixed;boundary=" + boundary, []byte(b.String())
}

// sdp offers one sendonly audio line per stream, naming where its RTP
// comes from (the recorder does not send media back).
func (c *Client) sdp(spec Spec, paused []bool) []byte {
	var b strings.Builder
	ip := c.ip
	if spec.RTPFrom.IsValid() {
		ip = spec.RTPFrom.Addr().String()
	}
	fmt.Fprintf(&b, "v=0\r\no=src 1 1 IN IP4 %s\r\ns=siprec\r\nc=IN IP4 %s\r\nt=0 0\r\n", c.ip, ip)
	for i, s := range spec.Streams {
		port := 40000 + 2*i
		if spec.RTPFrom.IsValid() {
			port = int(spec.RTPFrom.Port())
		}
		proto := s.Proto
		if proto == "" && s.Crypto != nil {
			proto = "RTP/SAVP"
		} else if proto == "" {
			proto = "RTP/AVP"
		}
		fmt.Fprintf(&b, "m=audio %d %s %d 101\r\n", port, proto, s.PT)
		if s.Codec != "" {
			fmt.Fprintf(&b, "a=rtpmap:%d %s\r\n", s.PT, s.Codec)
		}
		if s.Crypto != nil {
			b.WriteString(s.Crypto.Attribute())
		}
		dir := "sendonly"
		if i < len(paused) && paused[i] {
			dir = "inactive"
		}
		fmt.Fprintf(&b, "a=rtpmap:101 telephone-event/8000\r\na=label:%s\r\na=%s\r\n", s.Label, dir)
	}
	return []byte(b.String())
}

// Metadata writes RFC 7865 metadata naming one participant per stream.
func Metadata(streams []Stream) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<recording xmlns="urn:ietf:params:xml:ns:recording:1"><datamode>complete</datamode><session session_id="s1"/>`)
	for i, s := range streams {
		fmt.Fprintf(&b, `<participant participant_id="p%d"><nameID aor="%s"><name>%s</name></nameID></participant>`, i, s.AOR, s.Name)
	}
	for i, s := range streams {
		fmt.Fprintf(&b, `<stream stream_id="st%d" session_id="s1"><label>%s</label></stream>`, i, s.Label)
	}
	for i := range streams {
		fmt.Fprintf(&b, `<participantstreamassoc participant_id="p%d"><send>st%d</send></participantstreamassoc>`, i, i)
	}
	b.WriteString(`</recording>`)
	return b.String()
}

// Tags are the session's dialog tags: ours (From) and the recorder's (To).
func (call *Call) Tags() (from, to string) {
	from, _ = call.sess.InviteRequest.From().Params.Get("tag")
	to, _ = call.sess.InviteResponse.To().Params.Get("tag")
	return from, to
}
