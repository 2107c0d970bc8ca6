package siprec

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"
)

// Limits bound what one peer may cost the recorder's SIP side.
type Limits struct {
	// MaxMessage is the largest SIP message taken (0: 640 KiB). A SIPREC
	// INVITE of a conference of hundreds carries a few hundred KiB of
	// metadata; more than this on TCP is answered 513. UDP datagrams are bounded lower by
	// the SIP stack's read buffer (32 KiB); larger ones are answered 513
	// too, telling the SRC to use TCP (RFC 3261 18.1.1).
	MaxMessage int
	// MessageTimeout is how long a TCP peer may take to complete a message
	// once it started one (0: 30 s).
	MessageTimeout time.Duration
	// IdleTimeout closes a TCP connection that sent nothing this long and
	// carries no live dialog (0: 5 min).
	IdleTimeout time.Duration
	// LogEvery is how often one source's dropped input may be logged (0:
	// a minute); the rest is counted only.
	LogEvery time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.MaxMessage == 0 {
		l.MaxMessage = 640 << 10
	}
	if l.MessageTimeout == 0 {
		l.MessageTimeout = 30 * time.Second
	}
	if l.IdleTimeout == 0 {
		l.IdleTimeout = 5 * time.Minute
	}
	if l.LogEvery == 0 {
		l.LogEvery = time.Minute
	}
	return l
}

// excerptBytes is how much of a dropped message a log line quotes.
const excerptBytes = 200

// edge screens every message before the SIP stack sees it: what cannot be
// parsed is dropped, counted and logged at most once per source per
// LogEvery; a request without a usable Call-ID, From, To, CSeq or Via is
// answered 400 with a Warning naming the header; an oversized message 513.
// The SIP stack then only ever sees requests its handlers can rely on.
type edge struct {
	limits Limits
	parser *sip.Parser
	log    *slog.Logger
	events *prometheus.CounterVec // by transport and event
	live   func(callID string) bool

	mu       sync.Mutex
	logged   map[netip.Addr]logState
	invites  map[string]inviteTx // initial INVITE transactions by Via branch
	lastTrim time.Time
}

type logState struct {
	at         time.Time
	suppressed int
}

// inviteTx remembers where an initial INVITE came from, so a CANCEL of it
// from anywhere else is refused.
type inviteTx struct {
	source netip.Addr
	at     time.Time
}

// Edge event names, the "event" label of callrec_sip_edge_total.
const (
	evUnparseable = "unparseable"
	evBadRequest  = "bad_request" // answered 400
	evTooLarge    = "too_large"   // answered 513
	evSlow        = "slow_close"  // a TCP message not completed in time
	evIdle        = "idle_close"  // an idle TCP connection without dialog
	evForged      = "forged_cancel"
)

func newEdge(limits Limits, log *slog.Logger, reg prometheus.Registerer, live func(string) bool) *edge {
	limits = limits.withDefaults()
	p := sip.NewParser()
	p.MaxMessageLength = limits.MaxMessage
	events := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "callrec_sip_edge_total",
		Help: "SIP input refused or cut off at the recorder's edge, by transport and event."}, []string{"transport", "event"})
	if reg != nil {
		if err := reg.Register(events); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				events = are.ExistingCollector.(*prometheus.CounterVec)
			}
		}
	}
	return &edge{limits: limits, parser: p, log: log, events: events, live: live,
		logged: map[netip.Addr]logState{}, invites: map[string]inviteTx{}}
}

// count records an event and logs it, at most once per source per
// LogEvery, quoting a sanitised excerpt of the input.
func (e *edge) count(transport, event string, src netip.Addr, why string, data []byte) {
	e.events.WithLabelValues(transport, event).Inc()
	now := time.Now()
	e.mu.Lock()
	st, seen := e.logged[src]
	if seen && now.Sub(st.at) < e.limits.LogEvery {
		st.suppressed++
		e.logged[src] = st
		e.mu.Unlock()
		return
	}
	e.logged[src] = logState{at: now}
	e.trimLocked(now)
	e.mu.Unlock()
	excerpt := data
	if len(excerpt) > excerptBytes {
		excerpt = excerpt[:excerptBytes]
	}
	e.log.Warn("sip: input refused", "transport", transport, "event", event, "source", src.String(), "why", sanitize(why),
		"bytes", len(data), "excerpt", printable(string(excerpt), excerptBytes), "suppressed_before", st.suppressed)
}

// trimLocked bounds the per-source maps: a flood from many addresses must
// not grow them without end.
func (e *edge) trimLocked(now time.Time) {
	if now.Sub(e.lastTrim) < e.limits.LogEvery && len(e.logged) < 10000 && len(e.invites) < 100000 {
		return
	}
	e.lastTrim = now
	for k, v := range e.logged {
		if now.Sub(v.at) >= e.limits.LogEvery {
			delete(e.logged, k)
		}
	}
	for k, v := range e.invites {
		if now.Sub(v.at) >= inviteTxLife {
			delete(e.invites, k)
		}
	}
	if len(e.logged) >= 10000 {
		clear(e.logged)
	}
}

// inviteTxLife is how long an INVITE transaction can be CANCELled: 64*T1.
const inviteTxLife = 32 * time.Second

// verdict is what the edge makes of one complete message.
type verdict int

const (
	pass    verdict = iota // hand it to the SIP stack
	drop                   // answered or logged already
	garbage                // unparseable: on TCP the stream has lost its framing
)

// screen checks a complete message from src. reply sends a response to
// the peer on the transport it came by.
func (e *edge) screen(transport string, src netip.Addr, data []byte, reply func([]byte)) (verdict, sip.Message) {
	msg, err := e.parse(data)
	req, isReq := msg.(*sip.Request)
	if err != nil {
		if isReq && req.Via() != nil {
			e.refuse(transport, src, req, 400, "Bad Request", e.malformed(data, err), evBadRequest, data, reply)
			return garbage, nil
		}
		e.count(transport, evUnparseable, src, err.Error(), data)
		return garbage, nil
	}
	if !isReq {
		return pass, msg
	}
	if problem := missingHeader(req); problem != "" {
		e.refuse(transport, src, req, 400, "Bad Request", problem, evBadRequest, data, reply)
		return drop, nil
	}
	if !e.trackInvite(req, src) {
		e.refuse(transport, src, req, 481, "Call/Transaction Does Not Exist", "CANCEL from another address than its INVITE", evForged, data, reply)
		return drop, nil
	}
	return pass, msg
}

// parse parses one message; a panic of the parser is an unparseable
// message, never a stopped process.
func (e *edge) parse(data []byte) (msg sip.Message, err error) {
	defer func() {
		if v := recover(); v != nil {
			msg, err = nil, errors.New("parser failed on this input")
		}
	}()
	return e.parser.ParseSIP(data)
}

// refuse answers a request with an error status and a Warning saying why.
func (e *edge) refuse(transport string, src netip.Addr, req *sip.Request, code int, reason, why, event string, data []byte, reply func([]byte)) {
	e.count(transport, event, src, why, data)
	if req.IsAck() {
		return // an ACK is never answered
	}
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	res.AppendHeader(sip.NewHeader("Warning", `399 callrec "`+sanitize(why)+`"`))
	reply([]byte(res.String()))
}

// malformed names the header that made a message unparseable: each
// mandatory header is parsed alone until one fails.
func (e *edge) malformed(data []byte, err error) string {
	head, _, _ := bytes.Cut(data, []byte("\r\n\r\n"))
	for _, line := range bytes.Split(head, []byte("\r\n"))[1:] {
		name, _, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		canon := mandatoryName(string(bytes.TrimSpace(name)))
		if canon == "" {
			continue
		}
		probe := append([]byte("OPTIONS sip:probe SIP/2.0\r\n"), line...)
		if _, perr := e.parse(append(probe, "\r\n\r\n"...)); perr != nil {
			return "malformed " + canon + " header"
		}
	}
	return "malformed message: " + err.Error()
}

// mandatoryName spells a header name (long or compact) canonically when
// every request must carry it, and "" otherwise.
func mandatoryName(name string) string {
	switch strings.ToLower(name) {
	case "via", "v":
		return "Via"
	case "call-id", "i":
		return "Call-ID"
	case "from", "f":
		return "From"
	case "to", "t":
		return "To"
	case "cseq":
		return "CSeq"
	}
	return ""
}

// missingHeader names the first mandatory header (RFC 3261 8.1.1) that is
// absent or unusable, or "" when all are there.
func missingHeader(req *sip.Request) string {
	check := []struct {
		name string
		ok   bool
	}{
		{"Via", req.Via() != nil},
		{"Call-ID", req.CallID() != nil && strings.TrimSpace(req.CallID().Value()) != ""},
		{"From", req.From() != nil},
		{"To", req.To() != nil},
		{"CSeq", req.CSeq() != nil},
	}
	for _, c := range check {
		if c.ok {
			continue
		}
		if req.GetHeader(c.name) == nil {
			return "missing " + c.name + " header"
		}
		return "malformed " + c.name + " header"
	}
	if req.CSeq().MethodName != req.Method {
		return "CSeq method " + string(req.CSeq().MethodName) + " does not match the request method " + string(req.Method)
	}
	return ""
}

// trackInvite remembers an initial INVITE's source by Via branch, and
// tells whether a CANCEL comes from where its INVITE did. A CANCEL of an
// unknown transaction passes: the SIP stack answers it 481.
func (e *edge) trackInvite(req *sip.Request, src netip.Addr) bool {
	branch, _ := req.Via().Params.Get("branch")
	if branch == "" {
		return true
	}
	now := time.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case req.IsInvite() && !hasToTag(req):
		if _, ok := e.invites[branch]; !ok {
			e.invites[branch] = inviteTx{source: src, at: now}
			e.trimLocked(now)
		}
	case req.IsCancel():
		tx, ok := e.invites[branch]
		return !ok || now.Sub(tx.at) >= inviteTxLife || tx.source == src
	}
	return true
}

func hasToTag(req *sip.Request) bool {
	to := req.To()
	return to != nil && to.Params.Has("tag")
}

// keepAlive tells whether a datagram or stream chunk is only CRLFs (RFC
// 5626 keep-alives), which the SIP stack handles itself.
func keepAlive(data []byte) bool {
	return len(bytes.Trim(data, "\r\n\x00")) == 0
}

// addrOf is the IP of a net.Addr, unmapped.
func addrOf(a net.Addr) netip.Addr {
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// truncating is a log handler that cuts every string attribute to
// excerptBytes: the SIP stack logs whole messages it refuses, and a flood
// of them must not become a flood of log.
type truncating struct{ slog.Handler }

func (t truncating) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		if a.Value.Kind() == slog.KindString && len(a.Value.String()) > excerptBytes {
			a.Value = slog.StringValue(printable(a.Value.String(), excerptBytes) + "…")
		}
		out.AddAttrs(a)
		return true
	})
	return t.Handler.Handle(ctx, out)
}

func (t truncating) WithAttrs(as []slog.Attr) slog.Handler {
	return truncating{t.Handler.WithAttrs(as)}
}
func (t truncating) WithGroup(name string) slog.Handler { return truncating{t.Handler.WithGroup(name)} }
