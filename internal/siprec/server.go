package siprec

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"

	"callrec/internal/recovery"
)

// Dialog identifies a recording session's SIP dialog (RFC 3261 12): the
// Call-ID, the SRC's tag (its From tag) and ours (the To tag of our 200),
// and the address the request came from. An in-dialog request that does
// not match the session's dialog and source is refused with 481.
type Dialog struct {
	CallID    string
	RemoteTag string
	LocalTag  string
	Source    netip.Addr // the peer's IP address
}

// Offer is a recording session offer or change, as the Handler sees it.
type Offer struct {
	Dialog
	RequestURI string // user@host of the request-URI
	From, To   string // URIs
	SDP        SDP
	HasSDP     bool      // false for an UPDATE that carries only metadata
	Metadata   *Metadata // nil when the request carried none
	// HeaderCallID is a vendor call id from the request's headers
	// (vendorHeaders), when it carries one.
	HeaderCallID string
}

// Reject is a SIP failure the Handler chooses.
type Reject struct {
	Code       int
	Reason     string
	RetryAfter int // seconds, for 503
}

func (r *Reject) Error() string { return fmt.Sprintf("siprec: %d %s", r.Code, r.Reason) }

// Handler receives recording sessions: the recorder implements it.
type Handler interface {
	// Start begins a session for an initial INVITE and returns the SDP
	// answer; o.LocalTag is the tag the answer will carry.
	Start(ctx context.Context, o Offer) ([]byte, error)
	// Change applies a re-INVITE or UPDATE (pause/resume, new metadata)
	// of the dialog o names; it returns the SDP answer, or nil for an
	// UPDATE that carried no SDP (o.HasSDP false).
	Change(ctx context.Context, o Offer) ([]byte, error)
	// End ends the session of the dialog (BYE, or CANCEL before the answer).
	End(ctx context.Context, d Dialog, why string) error
	// Live tells whether a session with this Call-ID is recording.
	Live(callID string) bool
}

// ErrNoSession is what Change and End return for a request outside any
// live dialog: an unknown Call-ID, other tags or another source (481).
var ErrNoSession = errors.New("siprec: no such session")

// Options are the server's limits and where it reports.
type Options struct {
	Limits  Limits
	Guard   *recovery.Guard       // recovers a panicking handler (nil: recovered, logged)
	Metrics prometheus.Registerer // callrec_sip_edge_total (nil: not exported)
	// TrustedProxies are the addresses of SIP proxies (Kamailio's
	// dispatcher in front of several recorders) allowed to speak for
	// another source: a request from one of them is attributed to the
	// address in its SourceHeader. From anywhere else that header is
	// ignored, so an SBC cannot pose as another tenant's.
	TrustedProxies []netip.Prefix
}

// SourceHeader names the SRC a trusted proxy relays a request for: the
// proxy removes any copy the SRC sent and appends its own with the
// address the request reached it from.
const SourceHeader = "X-Callrec-Source"

// Server is the SIP side of the recorder, on UDP and TCP.
type Server struct {
	ua      *sipgo.UserAgent
	srv     *sipgo.Server
	h       Handler
	log     *slog.Logger
	guard   *recovery.Guard
	edge    *edge
	contact string
	proxies []netip.Prefix
}

// NewServer builds a server that hands sessions to h.
func NewServer(h Handler, log *slog.Logger, o Options) (*Server, error) {
	e := newEdge(o.Limits, log, o.Metrics, h.Live)
	// The SIP stack logs what it refuses with the whole message; the edge
	// has refused such input already, and anything else is cut short.
	stackLog := slog.New(truncating{log.Handler()})
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("callrec"), sipgo.WithUserAgentParser(e.parser),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(stackLog)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(stackLog)))
	if err != nil {
		return nil, fmt.Errorf("siprec: user agent: %w", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(stackLog))
	if err != nil {
		return nil, fmt.Errorf("siprec: server: %w", err)
	}
	s := &Server{ua: ua, srv: srv, h: h, log: log, guard: o.Guard, edge: e, proxies: o.TrustedProxies}
	srv.OnOptions(s.guarded("OPTIONS", s.onOptions))
	srv.OnInvite(s.guarded("INVITE", s.onInvite))
	srv.OnUpdate(s.guarded("UPDATE", s.onUpdate))
	srv.OnAck(s.guarded("ACK", s.onAck))
	srv.OnBye(s.guarded("BYE", s.onBye))
	srv.OnCancel(s.guarded("CANCEL", func(req *sip.Request, tx sip.ServerTransaction) {
		s.respond(tx, sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
	}))
	return s, nil
}

// guarded recovers a panic of a request handler: the request is answered
// 500 and the server goes on.
func (s *Server) guarded(method string, h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if s.guard.Handle("sip "+method, func() { h(req, tx) }) && !req.IsAck() {
			s.respond(tx, sip.NewResponseFromRequest(req, 500, "Server Internal Error", nil))
		}
	}
}

// Serve listens on addr over UDP and TCP until ctx ends. ready is called
// with the bound UDP address once both listen.
func (s *Server) Serve(ctx context.Context, addr string, ready func(udp net.Addr)) error {
	pc, ln, err := listen(addr)
	if err != nil {
		return err
	}
	_ = pc.(*net.UDPConn).SetReadBuffer(4 << 20)
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	s.contact = "<sip:callrec@" + net.JoinHostPort(host, port) + ">"
	errc := make(chan error, 2)
	go func() { errc <- s.srv.ServeUDP(s.edge.packetConn(pc)) }()
	go func() { errc <- s.srv.ServeTCP(s.edge.listener(ln)) }()
	if ready != nil {
		ready(pc.LocalAddr())
	}
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	pc.Close()
	ln.Close()
	s.srv.Close()
	s.ua.Close()
	return err
}

// listen binds UDP and TCP on one port. With port 0 the UDP socket picks
// the port, which a TCP connection of another process may already hold as
// its ephemeral port; then another port is tried.
func listen(addr string) (net.PacketConn, net.Listener, error) {
	_, want, _ := net.SplitHostPort(addr)
	for try := 0; ; try++ {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("siprec: listen udp %s: %w", addr, err)
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, ln, nil
		}
		pc.Close()
		if want != "0" || try == 20 {
			return nil, nil, fmt.Errorf("siprec: listen tcp %s: %w", pc.LocalAddr(), err)
		}
	}
}

func (s *Server) respond(tx sip.ServerTransaction, res *sip.Response) {
	if err := tx.Respond(res); err != nil {
		s.log.Debug("sip: respond", "err", err)
	}
}

func (s *Server) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	res.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE"))
	res.AppendHeader(sip.NewHeader("Supported", "siprec"))
	res.AppendHeader(sip.NewHeader("Accept", "application/sdp, application/rs-metadata+xml, multipart/mixed"))
	s.respond(tx, res)
}

// parseOffer reads the body of an INVITE or UPDATE; a failure is answered
// here and reported as ok=false.
func (s *Server) parseOffer(req *sip.Request, tx sip.ServerTransaction) (Offer, bool) {
	o := Offer{Dialog: s.dialogOf(req), RequestURI: req.Recipient.User + "@" + req.Recipient.Host}
	o.From, o.To = req.From().Address.String(), req.To().Address.String()
	if bad := unsupportedRequire(req); bad != "" {
		res := sip.NewResponseFromRequest(req, 420, "Bad Extension", nil)
		res.AppendHeader(sip.NewHeader("Unsupported", bad))
		s.respond(tx, res)
		return o, false
	}
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = h.Value()
	}
	if len(req.Body()) == 0 {
		s.reject(req, tx, &Reject{Code: 400, Reason: "Missing Body"})
		return o, false
	}
	body, err := SplitBody(ct, req.Body())
	if err == nil && body.SDP == nil && req.Method != sip.UPDATE {
		// An INVITE is an offer; only an UPDATE may change the metadata alone.
		err = fmt.Errorf("%w: an INVITE needs an application/sdp part", ErrUnsupported)
	}
	if err == nil && body.SDP != nil {
		o.SDP, err = ParseSDP(body.SDP)
		o.HasSDP = err == nil
	}
	if err == nil && body.Metadata != nil {
		var md Metadata
		md, err = ParseMetadata(body.Metadata)
		o.Metadata = &md
	}
	if err != nil {
		s.reject(req, tx, err)
		return o, false
	}
	o.HeaderCallID = headerCallID(req)
	return o, true
}

// vendorHeaders carry a call identifier another system shows for the call,
// in order of preference: Oracle's ISR correlation header, Cisco's GUID
// (CUCM, forwarded by CUBE), Cisco's global UCID, and Avaya's UCID in a
// User-to-User header (hex, behind a protocol discriminator byte).
var vendorHeaders = []string{"X-ISR-UCID", "Cisco-Guid", "Cisco-GUCID", "User-to-User"}

// headerCallID returns the first vendor call id the request's headers carry.
func headerCallID(req *sip.Request) string {
	for _, name := range vendorHeaders {
		h := req.GetHeader(name)
		if h == nil {
			continue
		}
		v := strings.TrimSpace(h.Value())
		if name == "User-to-User" {
			v = avayaUCID(v)
		}
		if v = printable(v, 128); strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// unsupportedRequire returns the option tags of Require other than siprec.
func unsupportedRequire(req *sip.Request) string {
	var bad []string
	for _, h := range req.GetHeaders("Require") {
		for _, tag := range strings.Split(h.Value(), ",") {
			tag = strings.TrimSpace(tag)
			if tag != "" && !strings.EqualFold(tag, "siprec") {
				bad = append(bad, tag)
			}
		}
	}
	return strings.Join(bad, ", ")
}

// dialogOf reads the dialog a request names; the edge has made sure
// Call-ID, From, To and Via are there.
func (s *Server) dialogOf(req *sip.Request) Dialog {
	d := Dialog{CallID: req.CallID().Value()}
	d.RemoteTag, _ = req.From().Params.Get("tag")
	d.LocalTag, _ = req.To().Params.Get("tag")
	if ap, err := netip.ParseAddrPort(req.Source()); err == nil {
		d.Source = s.relayedFor(req, ap.Addr().Unmap())
	}
	return d
}

// relayedFor is the address a request is attributed to: the peer's, or,
// when the peer is a trusted proxy, the SRC's address the proxy appended
// last in SourceHeader. A proxy's request without a valid header stays
// the proxy's own, which no source should claim.
func (s *Server) relayedFor(req *sip.Request, peer netip.Addr) netip.Addr {
	if !slices.ContainsFunc(s.proxies, func(p netip.Prefix) bool { return p.Contains(peer) }) {
		return peer
	}
	hs := req.GetHeaders(SourceHeader)
	if len(hs) == 0 {
		return peer
	}
	a, err := netip.ParseAddr(strings.TrimSpace(hs[len(hs)-1].Value()))
	if err != nil {
		return peer
	}
	return a.Unmap().WithZone("")
}

func (s *Server) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if hasToTag(req) {
		s.change(req, tx)
		return
	}
	o, ok := s.parseOffer(req, tx)
	if !ok {
		return
	}
	o.LocalTag = newTag()
	ctx := context.Background()
	answer, err := s.h.Start(ctx, o)
	if err != nil {
		s.reject(req, tx, err)
		return
	}
	res := s.answer(req, answer)
	res.To().Params.Add("tag", o.LocalTag)
	if err := tx.Respond(res); err != nil {
		// CANCELled or the transport failed before the answer went out.
		_ = s.h.End(ctx, o.Dialog, "cancelled")
	}
}

// newTag is a To tag for a new dialog (RFC 3261 19.3: at least 32 random bits).
func newTag() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// onAck takes the ACK of an answer. It changes nothing, so one outside a
// dialog is only counted.
func (s *Server) onAck(req *sip.Request, _ sip.ServerTransaction) {
	if !s.h.Live(req.CallID().Value()) {
		s.edge.events.WithLabelValues(strings.ToLower(req.Transport()), "stray_ack").Inc()
	}
}

func (s *Server) onUpdate(req *sip.Request, tx sip.ServerTransaction) { s.change(req, tx) }

func (s *Server) change(req *sip.Request, tx sip.ServerTransaction) {
	o, ok := s.parseOffer(req, tx)
	if !ok {
		return
	}
	answer, err := s.h.Change(context.Background(), o)
	if err != nil {
		s.reject(req, tx, err)
		return
	}
	s.respond(tx, s.answer(req, answer))
}

func (s *Server) answer(req *sip.Request, sdp []byte) *sip.Response {
	res := sip.NewResponseFromRequest(req, 200, "OK", sdp)
	res.AppendHeader(sip.NewHeader("Contact", s.contact))
	if sdp != nil { // nil: a metadata-only UPDATE, answered without a body
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	res.AppendHeader(sip.NewHeader("Supported", "siprec"))
	return res
}

func (s *Server) onBye(req *sip.Request, tx sip.ServerTransaction) {
	err := s.h.End(context.Background(), s.dialogOf(req), "bye")
	if errors.Is(err, ErrNoSession) {
		s.respond(tx, sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	s.respond(tx, sip.NewResponseFromRequest(req, 200, "OK", nil))
}

// reject answers with the status the error calls for.
func (s *Server) reject(req *sip.Request, tx sip.ServerTransaction, err error) {
	var rej *Reject
	switch {
	case errors.As(err, &rej):
	case errors.Is(err, ErrUnsupported):
		rej = &Reject{Code: 415, Reason: "Unsupported Media Type"}
	case errors.Is(err, ErrMalformed):
		rej = &Reject{Code: 400, Reason: "Bad Request"}
	case errors.Is(err, ErrNoSession):
		rej = &Reject{Code: 481, Reason: "Call/Transaction Does Not Exist"}
	default:
		s.log.Error("sip: handler failed", "call_id", req.CallID().Value(), "err", err)
		rej = &Reject{Code: 500, Reason: "Server Internal Error"}
	}
	s.log.Debug("sip: reject", "call_id", req.CallID().Value(), "code", rej.Code, "err", err)
	res := sip.NewResponseFromRequest(req, rej.Code, rej.Reason, nil)
	if rej.Code == 415 {
		res.AppendHeader(sip.NewHeader("Accept", "application/sdp, multipart/mixed"))
	}
	if rej.RetryAfter > 0 {
		res.AppendHeader(sip.NewHeader("Retry-After", strconv.Itoa(rej.RetryAfter)))
	}
	if rej.Code == 400 && !errors.As(err, &rej) {
		res.AppendHeader(sip.NewHeader("Warning", `399 callrec "`+sanitize(err.Error())+`"`))
	}
	s.respond(tx, res)
}

// sanitize makes text fit for a Warning header's quoted string.
func sanitize(s string) string { return printable(s, 120) }

// printable keeps at most n bytes of s, with control characters, quotes,
// backslashes and non-ASCII replaced by spaces: safe in a header or a log.
func printable(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '\\' || r > 0x7e {
			return ' '
		}
		return r
	}, s)
}
