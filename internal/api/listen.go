package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"callrec/internal/httpserver"
	"callrec/internal/principal"
	"callrec/internal/recorder"
	"callrec/internal/recordings"
	"callrec/internal/roles"
)

var (
	errNotLive = &Error{http.StatusConflict, "call_not_active", "the call is not in progress: only a live call can be listened to", nil, 0}
	errNoLive  = &Error{http.StatusServiceUnavailable, "recorder_unavailable", "the recorder holding this call cannot be reached", nil, 0}
)

// registerLive lists live monitoring's route.
func (h *Handler) registerLive(mux *http.ServeMux) {
	h.route(mux, "GET /api/v1/calls/{id}/listen", access{perm: roles.LiveMonitor, tenant: true}, h.listen)
}

// listen upgrades to a WebSocket that carries a live call's audio: a text
// message describing the stream, then a binary message per 20 ms frame
// (recorder.TapFrame.Encode). The caller is checked and audited before the
// upgrade; a browser's Origin must be this site's (websocket.Accept's
// check, which stops another site from using the portal cookie), and the
// audio comes from the recorder node named on the call row.
func (h *Handler) listen(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	httpserver.Lift(w) // a WebSocket for as long as the call; Relay bounds each frame
	c, err := h.workspace().Listen(r.Context(), p, r.PathValue("id"))
	if errors.Is(err, recordings.ErrNotActive) {
		return errNotLive
	}
	if err != nil {
		return workspaceErr(err)
	}
	if h.Live == nil {
		return errNoLive
	}
	src, err := h.Live.Open(r.Context(), c)
	switch {
	case errors.Is(err, recorder.ErrNotLive):
		return errNotLive
	case errors.Is(err, recorder.ErrNodeGone):
		h.Log.Warn("api: listen: recorder node unreachable", "call", c.ID, "err", err)
		return errNoLive
	case err != nil:
		return err
	}
	defer src.Close()
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return nil // Accept has answered (403 for a foreign Origin)
	}
	defer conn.CloseNow()
	ctx := conn.CloseRead(r.Context())
	// The recorder answered and the handshake is done: the listening has
	// started, and is in the log before the first byte of audio.
	if err := h.workspace().ListenStarted(r.Context(), p, c); err != nil {
		h.Log.Error("api: listen: audit", "call", c.ID, "err", err)
		_ = conn.Close(websocket.StatusInternalError, "internal error")
		return nil
	}
	hello := map[string]any{"call_id": c.ID, "rate": 8000, "channels": 2, "frame_ms": 20,
		"left": "recorded party", "right": "other side", "recorder_node": c.RecorderNode}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	err = wsjson.Write(wctx, conn, hello)
	cancel()
	if err != nil {
		return nil
	}
	if h.Guard.Handle("websocket listen", func() { recorder.Relay(ctx, conn, src) }) {
		_ = conn.Close(websocket.StatusInternalError, "internal error")
	}
	return nil
}
