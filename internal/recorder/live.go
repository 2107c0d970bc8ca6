package recorder

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"

	"callrec/internal/httpserver"
	"callrec/internal/store"
)

// LiveRoute is the internal route a recorder node serves a live call's
// audio on: a WebSocket of encoded TapFrames, to requests signed with the
// nodes' shared key (never a user's credentials; the web node has checked
// the user).
const LiveRoute = "GET /internal/v1/calls/{id}/listen"

// Live connects listeners to live calls: in process when this process
// records the call, otherwise through the recorder node named on the call
// row (found in the node registry, see Nodes).
type Live struct {
	Rec   *Recorder // this process's recorder; nil when it runs none
	Nodes *Nodes    // registry and key; nil: only this process's calls
}

// FrameSource yields one live call's encoded frames (TapFrame.Encode).
type FrameSource interface {
	// Next blocks for the next frame; io.EOF when the call ended.
	Next(ctx context.Context) ([]byte, error)
	Close()
}

// Open connects to a call's live audio. ErrNotLive: no recorder holds the
// call live; ErrNodeGone: the node on its row cannot be reached.
func (l *Live) Open(ctx context.Context, c store.Call) (FrameSource, error) {
	if c.State != store.CallActive {
		return nil, ErrNotLive
	}
	if l.Rec != nil && c.RecorderNode == l.Rec.cfg.Node {
		frames, stop, err := l.Rec.Listen(c)
		if err != nil {
			return nil, err
		}
		return &localSource{frames: frames, stop: stop}, nil
	}
	if l.Nodes == nil || c.RecorderNode == "" {
		return nil, ErrNotLive
	}
	rn, err := l.Nodes.node(ctx, c.RecorderNode)
	if err != nil {
		return nil, err
	}
	u := l.Nodes.liveURL(rn.InternalURL, rn.Node, c, l.Nodes.now().Add(signedFor))
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, res, err := websocket.Dial(dctx, u, nil)
	if res != nil && res.StatusCode == http.StatusNotFound {
		return nil, ErrNotLive
	}
	if err != nil {
		return nil, fmt.Errorf("%w: node %q: %v", ErrNodeGone, rn.Node, err)
	}
	return &remoteSource{conn: conn}, nil
}

type localSource struct {
	frames <-chan *TapFrame
	stop   func()
}

func (s *localSource) Next(ctx context.Context) ([]byte, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case f, ok := <-s.frames:
		if !ok {
			return nil, io.EOF
		}
		return f.Encode(), nil
	}
}

func (s *localSource) Close() { s.stop() }

type remoteSource struct{ conn *websocket.Conn }

func (s *remoteSource) Next(ctx context.Context) ([]byte, error) {
	for {
		typ, b, err := s.conn.Read(ctx)
		if websocket.CloseStatus(err) == websocket.StatusNormalClosure {
			return nil, io.EOF
		}
		if err != nil {
			return nil, err
		}
		if typ == websocket.MessageBinary {
			return b, nil
		}
	}
}

func (s *remoteSource) Close() { _ = s.conn.CloseNow() }

// liveSig is the MAC of one node's live route for one call until exp.
func (n *Nodes) liveSig(node, tenantID, callID string, exp int64) string {
	m := hmac.New(sha256.New, n.Key)
	fmt.Fprintf(m, "live-tap\x00%s\x00%s\x00%s\x00%d", node, tenantID, callID, exp)
	return hex.EncodeToString(m.Sum(nil))
}

// liveURL is the signed ws:// (or wss://) URL of a call's live audio on a
// node's internal base URL.
func (n *Nodes) liveURL(base, node string, c store.Call, exp time.Time) string {
	e := exp.Unix()
	q := url.Values{"node": {node}, "tenant": {c.TenantID}, "sip": {c.SIPCallID}, "exp": {strconv.FormatInt(e, 10)},
		"sig": {n.liveSig(node, c.TenantID, c.ID, e)}}
	if rest, ok := strings.CutPrefix(base, "http"); ok {
		base = "ws" + rest
	}
	return base + "/internal/v1/calls/" + url.PathEscape(c.ID) + "/listen?" + q.Encode()
}

func (n *Nodes) verifyLive(r *http.Request, callID string) bool {
	tenantID := r.URL.Query().Get("tenant")
	return n.verifySigned(r, func(exp int64) string { return n.liveSig(n.Self, tenantID, callID, exp) })
}

// ServeInternal is the recorder node's side of LiveRoute.
func (l *Live) ServeInternal(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if l.Nodes == nil || !l.Nodes.verifyLive(r, id) {
		internalError(w, http.StatusUnauthorized, "unauthorized", "missing, forged or expired signature")
		return
	}
	q := r.URL.Query()
	c := store.Call{ID: id, TenantID: q.Get("tenant"), SIPCallID: q.Get("sip"), State: store.CallActive}
	if l.Rec == nil {
		internalError(w, http.StatusNotFound, "not_found", "no such live call")
		return
	}
	frames, stop, err := l.Rec.Listen(c)
	if err != nil {
		internalError(w, http.StatusNotFound, "not_found", "no such live call")
		return
	}
	defer stop()
	httpserver.Lift(w) // a WebSocket for as long as the call; Relay bounds each frame
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer conn.CloseNow()
	ctx := conn.CloseRead(r.Context())
	if l.Rec.cfg.Guard.Handle("websocket internal listen", func() { Relay(ctx, conn, &localSource{frames: frames, stop: func() {}}) }) {
		_ = conn.Close(websocket.StatusInternalError, "internal error")
	}
}

// Relay writes a source's frames to a WebSocket until the call ends, the
// peer goes or ctx ends; a peer that cannot take a frame within 5 s is
// dropped.
func Relay(ctx context.Context, conn *websocket.Conn, src FrameSource) {
	for {
		b, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			_ = conn.Close(websocket.StatusNormalClosure, "call ended")
			return
		}
		if err != nil {
			_ = conn.Close(websocket.StatusGoingAway, "stream ended")
			return
		}
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = conn.Write(wctx, websocket.MessageBinary, b)
		cancel()
		if err != nil {
			return
		}
	}
}
