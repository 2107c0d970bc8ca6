package siprec

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Offer is a recording session offer or change, as the Handler sees it.
type Offer struct {
	CallID     string
	Source     netip.Addr // the peer's IP address
	RequestURI string     // user@host of the request-URI
	From, To   string     // URIs
	SDP        SDP
	Metadata   *Metadata // nil when the request carried none
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
	// Start begins a session for an initial INVITE and returns the SDP answer.
	Start(ctx context.Context, o Offer) ([]byte, error)
	// Change applies a re-INVITE or UPDATE (pause/resume, new metadata).
	Change(ctx context.Context, o Offer) ([]byte, error)
	// Stop ends the session (BYE, or CANCEL before the answer).
	Stop(ctx context.Context, callID, why string) error
}

// ErrNoSession is what Change and Stop return for an unknown Call-ID (481).
var ErrNoSession = errors.New("siprec: no such session")

// Server is the SIP side of the recorder, on UDP and TCP.
type Server struct {
	ua      *sipgo.UserAgent
	srv     *sipgo.Server
	h       Handler
	log     *slog.Logger
	contact string
}

// NewServer builds a server that hands sessions to h.
func NewServer(h Handler, log *slog.Logger) (*Server, error) {
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("callrec"))
	if err != nil {
		return nil, fmt.Errorf("siprec: user agent: %w", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(log))
	if err != nil {
		return nil, fmt.Errorf("siprec: server: %w", err)
	}
	s := &Server{ua: ua, srv: srv, h: h, log: log}
	srv.OnOptions(s.onOptions)
	srv.OnInvite(s.onInvite)
	srv.OnUpdate(s.onUpdate)
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	srv.OnBye(s.onBye)
	srv.OnCancel(func(req *sip.Request, tx sip.ServerTransaction) {
		s.respond(tx, sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
	})
	return s, nil
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
	go func() { errc <- s.srv.ServeUDP(pc) }()
	go func() { errc <- s.srv.ServeTCP(ln) }()
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
	o := Offer{CallID: req.CallID().Value(), RequestURI: req.Recipient.User + "@" + req.Recipient.Host}
	if f := req.From(); f != nil {
		o.From = f.Address.String()
	}
	if t := req.To(); t != nil {
		o.To = t.Address.String()
	}
	if host, _, err := net.SplitHostPort(req.Source()); err == nil {
		o.Source, _ = netip.ParseAddr(host)
		o.Source = o.Source.Unmap()
	}
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
	if err == nil {
		o.SDP, err = ParseSDP(body.SDP)
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
	return o, true
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

func (s *Server) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		s.change(req, tx)
		return
	}
	o, ok := s.parseOffer(req, tx)
	if !ok {
		return
	}
	ctx := context.Background()
	answer, err := s.h.Start(ctx, o)
	if err != nil {
		s.reject(req, tx, err)
		return
	}
	if err := tx.Respond(s.answer(req, answer)); err != nil {
		// CANCELled or the transport failed before the answer went out.
		_ = s.h.Stop(ctx, o.CallID, "cancelled")
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
	res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	res.AppendHeader(sip.NewHeader("Supported", "siprec"))
	return res
}

func (s *Server) onBye(req *sip.Request, tx sip.ServerTransaction) {
	err := s.h.Stop(context.Background(), req.CallID().Value(), "bye")
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

func sanitize(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '\\' || r > 0x7e {
			return ' '
		}
		return r
	}, s)
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}
