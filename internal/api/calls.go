package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"callrec/internal/events"
	"callrec/internal/httpserver"
	"callrec/internal/principal"
	"callrec/internal/recorder"
	"callrec/internal/recordings"
	"callrec/internal/roles"
	"callrec/internal/store"
)

var (
	errNotReady = &Error{http.StatusConflict, "not_ready", "the call has no playable audio yet: it is active or was not recorded", nil, 0}
	errNodeGone = &Error{http.StatusServiceUnavailable, "recorder_unavailable",
		"the recorder node holding this call's audio is not reachable; the call is playable once its recording is uploaded", nil, 0}
)

// listCalls is the call list with the Recordings page's filters and sorts
// (see recordings.ParseFilter).
func (h *Handler) listCalls(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	return h.searchRecordings(w, r, p)
}

// loadCall is the call of the path, if the caller may see it (the
// recordings service's scope, the one rule for every door).
func (h *Handler) loadCall(r *http.Request, p *principal.Principal) (store.Call, error) {
	c, err := h.workspace().Call(r.Context(), p, r.PathValue("id"))
	return c, workspaceErr(err)
}

func (h *Handler) getCall(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	c, err := h.loadCall(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, callJSON(c))
	return nil
}

// callAudio serves the recording with Range support: Ogg Opus once stored,
// or ?format=wav; WAV from the spool until the upload is done. A WAV of an
// hour is 115 MB, longer to send than the server's write timeout allows a
// whole response, so each write is bounded instead.
func (h *Handler) callAudio(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	w = httpserver.Stream(w, httpserver.StreamWriteTimeout)
	c, err := h.loadCall(r, p)
	if err != nil {
		return err
	}
	if err := h.auditPlayback(r, p, c); err != nil {
		return err
	}
	if h.Recordings == nil {
		return errNotReady
	}
	wav := r.URL.Query().Get("format") == "wav"
	a, err := h.Recordings.Open(r.Context(), c, wav)
	if errors.Is(err, recorder.ErrElsewhere) {
		err = h.proxySpool(w, r, c)
		if err == nil {
			return nil
		}
	}
	if errors.Is(err, recorder.ErrNotReady) || errors.Is(err, recorder.ErrNodeGone) {
		// The upload may have finished between reading the row and the
		// spool going away, and the stored copy wins over a lost node:
		// read the row once more.
		c2, err2 := h.loadCall(r, p)
		if err2 != nil {
			return err2
		}
		if c2.BlobKey != "" || errors.Is(err, recorder.ErrNotReady) {
			c = c2
			a, err = h.Recordings.Open(r.Context(), c, wav)
		}
	}
	switch {
	case errors.Is(err, recorder.ErrNotReady), errors.Is(err, recorder.ErrElsewhere):
		return errNotReady
	case errors.Is(err, recorder.ErrNodeGone):
		h.Log.Warn("api: call audio: recorder node unreachable", "call", c.ID, "err", err)
		return errNodeGone
	case err != nil:
		return err
	}
	defer a.Close()
	w.Header().Set("Content-Type", a.ContentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf("inline; filename=%q", a.Name))
	w.Header().Set("Cache-Control", "private, no-store")
	http.ServeContent(w, r, a.Name, c.UpdatedAt, a)
	return nil
}

// proxySpool plays a finished call that is not uploaded yet from the spool
// of the recorder node named on its row (Range requests passed through).
func (h *Handler) proxySpool(w http.ResponseWriter, r *http.Request, c store.Call) error {
	w.Header().Set("Content-Disposition", fmt.Sprintf("inline; filename=%q", c.ID+".wav"))
	w.Header().Set("Cache-Control", "private, no-store")
	err := h.Recordings.ProxySpool(w, r, c)
	if err != nil {
		w.Header().Del("Content-Disposition")
	}
	return err
}

// events streams the tenant's live updates as server-sent events, each
// only to callers allowed to see it (eventScope).
func (h *Handler) events(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	if h.Events == nil {
		return errNotFound
	}
	scope, err := h.eventScope(r, p)
	if err != nil {
		return err
	}
	w = httpserver.Stream(w, httpserver.StreamWriteTimeout) // open for as long as the page is
	flusher, ok := w.(http.Flusher)
	if !ok {
		if u, ok := w.(interface{ Unwrap() http.ResponseWriter }); ok {
			flusher, _ = u.Unwrap().(http.Flusher)
		}
	}
	if flusher == nil {
		return errors.New("api: events: response writer cannot flush")
	}
	ch, cancel := h.Events.Subscribe(p.TenantID)
	defer cancel()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": connected\n\n")
	flusher.Flush()
	keepAlive := time.NewTicker(25 * time.Second)
	defer keepAlive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-keepAlive.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		case e, ok := <-ch:
			if !ok {
				return nil
			}
			if !scope.allows(r.Context(), e) {
				continue
			}
			b, _ := json.Marshal(e)
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Kind, b)
		}
		flusher.Flush()
	}
}

// eventScope is what one subscriber of /api/v1/events may receive.
type eventScope struct {
	calls        *recordings.Scope // nil: no call events
	integrations bool              // integration.* events
	svc          *recordings.Service
}

// eventScope works out the caller's scope; a caller who may see no kind of
// event is refused.
func (h *Handler) eventScope(r *http.Request, p *principal.Principal) (eventScope, error) {
	s := eventScope{svc: h.workspace()}
	switch sc, err := s.svc.ScopeOf(r.Context(), p); {
	case err == nil:
		s.calls = &sc
	case !errors.Is(err, recordings.ErrForbidden):
		return s, err
	}
	s.integrations = p.Can(roles.IntegrationsManage)
	if s.calls == nil && !s.integrations {
		return s, errForbidden
	}
	return s, nil
}

// allows decides by the event's kind: call events by the call scope,
// integration events by the permission to manage integrations, the bus's
// own "lagged" marker to everyone, and kinds it does not know to nobody,
// so a new producer must be given a rule here before anyone sees its data.
func (s eventScope) allows(ctx context.Context, e events.Event) bool {
	switch {
	case e.Kind == "lagged":
		return true
	case strings.HasPrefix(e.Kind, "call."):
		return s.calls != nil && s.callVisible(ctx, e.Data)
	case strings.HasPrefix(e.Kind, "integration."):
		return s.integrations
	default:
		return false
	}
}

func (s eventScope) callVisible(ctx context.Context, data json.RawMessage) bool {
	var c store.Call
	if json.Unmarshal(data, &c) != nil {
		return false
	}
	return s.svc.Visible(ctx, *s.calls, c)
}
