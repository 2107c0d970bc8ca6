package recorder

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"callrec/internal/httpserver"
	"callrec/internal/store"
)

// SpoolRoute is the internal route a recorder node serves its spooled
// mixes on; requests carry a short-lived HMAC signature (Nodes.sign), never
// a user's credentials.
const SpoolRoute = "GET /internal/v1/spool/{id}/mix.wav"

// Errors of cross-node playback.
var (
	// ErrElsewhere means the audio is in another recorder node's spool:
	// Library.ProxySpool serves it.
	ErrElsewhere = errors.New("recorder: the audio is in another recorder node's spool")
	// ErrNodeGone means the node holding the audio is not registered, has
	// missed its heartbeats or does not answer.
	ErrNodeGone = errors.New("recorder: the recorder node holding this call's audio is unreachable")
)

// Heartbeat is how often a recorder refreshes its registration; a node
// silent for StaleAfter counts as gone.
const (
	Heartbeat  = 10 * time.Second
	StaleAfter = 3 * Heartbeat
)

// Nodes lets a web node play a finished call from the spool of the
// recorder node that holds it, and lets a recorder node serve its spool to
// the others. All nodes share the database (the registry) and Key.
type Nodes struct {
	DB     *store.DB
	Self   string       // this node's name (Config.Node)
	Key    []byte       // signs and checks internal requests
	Client *http.Client // nil: connect within 2 s, headers within 5 s
	Now    func() time.Time
}

const signedFor = 30 * time.Second // lifetime of a signed spool URL

func (n *Nodes) now() time.Time {
	if n.Now == nil {
		return time.Now()
	}
	return n.Now()
}

func (n *Nodes) client() *http.Client {
	if n.Client != nil {
		return n.Client
	}
	return &http.Client{Transport: &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		ResponseHeaderTimeout: 5 * time.Second,
		MaxIdleConnsPerHost:   16,
	}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// sign is the MAC of one node's spool URL for one call until exp.
func (n *Nodes) sign(node, callID string, exp int64) string {
	m := hmac.New(sha256.New, n.Key)
	fmt.Fprintf(m, "spool-mix\x00%s\x00%s\x00%d", node, callID, exp)
	return hex.EncodeToString(m.Sum(nil))
}

// SpoolURL is a signed URL of a call's spooled mix on a node's internal base.
func (n *Nodes) SpoolURL(base, node, callID string, exp time.Time) string {
	e := exp.Unix()
	q := url.Values{"node": {node}, "exp": {strconv.FormatInt(e, 10)}, "sig": {n.sign(node, callID, e)}}
	return base + "/internal/v1/spool/" + url.PathEscape(callID) + "/mix.wav?" + q.Encode()
}

// verify accepts a request signed for this node and this call that has not
// expired; a signature valid for longer than signedFor is refused too, so a
// leaked URL is useless within a minute.
func (n *Nodes) verify(r *http.Request, callID string) bool {
	return n.verifySigned(r, func(exp int64) string { return n.sign(n.Self, callID, exp) })
}

// verifySigned holds what every signed internal request must pass: meant
// for this node, not expired, not valid for longer than signedFor, and
// signed as sig says for its expiry.
func (n *Nodes) verifySigned(r *http.Request, sig func(exp int64) string) bool {
	q := r.URL.Query()
	exp, err := strconv.ParseInt(q.Get("exp"), 10, 64)
	if err != nil || q.Get("node") != n.Self {
		return false
	}
	now := n.now().Unix()
	if exp < now || exp > now+int64(2*signedFor/time.Second) {
		return false
	}
	return hmac.Equal([]byte(sig(exp)), []byte(q.Get("sig")))
}

// node looks up a live registration of a recorder node.
func (n *Nodes) node(ctx context.Context, name string) (store.RecorderNode, error) {
	rn, err := n.DB.Q().GetRecorderNode(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return rn, fmt.Errorf("%w: node %q is not registered", ErrNodeGone, name)
	}
	if err != nil {
		return rn, err
	}
	if age := n.now().Sub(rn.HeartbeatAt); age > StaleAfter {
		return rn, fmt.Errorf("%w: node %q last seen %s ago", ErrNodeGone, name, age.Round(time.Second))
	}
	return rn, nil
}

// passedOn are the request headers a spool fetch forwards (Range and the
// validators that go with it) and the response headers it returns.
var (
	passedOn  = []string{"Range", "If-Range", "If-Modified-Since", "If-None-Match", "If-Unmodified-Since"}
	passedOff = []string{"Content-Type", "Content-Length", "Content-Range", "Accept-Ranges", "Last-Modified", "ETag"}
)

// ProxySpool serves a call's spooled mix from the recorder node named on
// its row, Range requests included, writing the response itself. It
// returns ErrNodeGone when the node cannot be reached (nothing written) and
// ErrNotReady when the node no longer holds the spool (the upload may have
// just finished: read the row again).
func (l *Library) ProxySpool(w http.ResponseWriter, r *http.Request, c store.Call) error {
	n := l.Nodes
	if n == nil {
		return ErrNotReady
	}
	rn, err := n.node(r.Context(), c.RecorderNode)
	if err != nil {
		return err
	}
	u := n.SpoolURL(rn.InternalURL, rn.Node, c.ID, n.now().Add(signedFor))
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("recorder: node %q: %w", rn.Node, err)
	}
	for _, h := range passedOn {
		if v := r.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	res, err := n.client().Do(req)
	if err != nil {
		return fmt.Errorf("%w: node %q: %v", ErrNodeGone, rn.Node, err)
	}
	defer res.Body.Close()
	switch res.StatusCode {
	case http.StatusOK, http.StatusPartialContent, http.StatusNotModified, http.StatusRequestedRangeNotSatisfiable:
	case http.StatusNotFound:
		return ErrNotReady
	default:
		return fmt.Errorf("recorder: node %q answered %s for a spool fetch", rn.Node, res.Status)
	}
	for _, h := range passedOff {
		if v := res.Header.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	w.WriteHeader(res.StatusCode)
	_, _ = io.Copy(w, res.Body)
	return nil
}

// ServeSpool is the recorder node's side of SpoolRoute: the finished
// call's stereo mix from this node's spool, to a signed request only.
func (l *Library) ServeSpool(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if l.Nodes == nil || !l.Nodes.verify(r, id) {
		internalError(w, http.StatusUnauthorized, "unauthorized", "missing, forged or expired signature")
		return
	}
	if id == "" || filepath.Base(id) != id || id == "." || id == ".." || l.Spool == "" {
		internalError(w, http.StatusNotFound, "not_found", "no such spool")
		return
	}
	f, err := os.Open(filepath.Join(l.Spool, id, mixFile))
	if err != nil {
		internalError(w, http.StatusNotFound, "not_found", "no such spool")
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		internalError(w, http.StatusInternalServerError, "internal", "spool unreadable")
		return
	}
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Cache-Control", "private, no-store")
	// As long as the listener at the web node takes it (a long call's WAV
	// outlasts the server's write timeout); each write is bounded.
	http.ServeContent(httpserver.Stream(w, httpserver.StreamWriteTimeout), r, mixFile, st.ModTime(), f)
}

func internalError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"code":%q,"message":%q}}`+"\n", code, msg)
}

// register keeps this recorder's row in the node registry fresh until ctx
// ends, then removes it so web nodes stop asking a stopped node. A database
// outage only delays the heartbeat.
func (r *Recorder) register(ctx context.Context) {
	if r.cfg.InternalURL == "" {
		return
	}
	started := r.now()
	beat := func() {
		err := r.db.Q().UpsertRecorderNode(ctx, store.RecorderNode{Node: r.cfg.Node, InternalURL: r.cfg.InternalURL,
			StartedAt: started, HeartbeatAt: r.now()})
		if err != nil && ctx.Err() == nil {
			r.log.Warn("recorder: node heartbeat failed", "err", err)
		}
	}
	beat()
	t := time.NewTicker(Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = r.db.Q().DeleteRecorderNode(dctx, r.cfg.Node)
			cancel()
			return
		case <-t.C:
			beat()
		}
	}
}
