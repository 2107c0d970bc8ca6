package msemu

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// aadError is an identity platform error: the OAuth error code, the AADSTS
// number and its text, answered as Microsoft's token endpoint does.
type aadError struct {
	status   int
	err      string
	code     int
	desc     string
	suberror string
}

func (a *aadError) Error() string { return fmt.Sprintf("AADSTS%d: %s", a.code, a.desc) }

func newAAD(status int, oauthErr string, code int, format string, args ...any) *aadError {
	return &aadError{status: status, err: oauthErr, code: code, desc: fmt.Sprintf(format, args...)}
}

func (e *Emulator) writeAADError(w http.ResponseWriter, a *aadError) {
	now := e.clock.Now().UTC()
	trace, corr := e.ids.NewID(), e.ids.NewID()
	ts := now.Format("2006-01-02 15:04:05Z")
	body := map[string]any{
		"error": a.err,
		"error_description": fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s",
			a.code, a.desc, trace, corr, ts),
		"error_codes":    []int{a.code},
		"timestamp":      ts,
		"trace_id":       trace,
		"correlation_id": corr,
		"error_uri":      fmt.Sprintf("%s/error?code=%d", e.opts.BaseURL, a.code),
	}
	if a.suberror != "" {
		body["suberror"] = a.suberror
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, a.status, body)
}

// graphError is Microsoft Graph's {"error":{"code","message","innerError"}}.
type graphError struct {
	status  int
	Code    string
	Message string
}

func (g *graphError) Error() string { return g.Code + ": " + g.Message }

func graphErr(status int, code, msg string) *graphError {
	return &graphError{status: status, Code: code, Message: msg}
}

func (e *Emulator) writeGraphError(w http.ResponseWriter, g *graphError) {
	if g.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="`+e.opts.BaseURL+`/common/oauth2/authorize"`)
	}
	writeJSON(w, g.status, map[string]any{"error": map[string]any{
		"code": g.Code, "message": g.Message,
		"innerError": map[string]string{
			"date":              e.clock.Now().UTC().Format(time.RFC3339),
			"request-id":        e.ids.NewID(),
			"client-request-id": e.ids.NewID(),
		},
	}})
}

// teamsError is the Teams admin API's error body. The shape is [ours]: the
// service is undocumented, so it follows Microsoft's REST guidelines.
type teamsError struct {
	status  int
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (t *teamsError) Error() string { return t.Code + ": " + t.Message }

func teamsErr(status int, code, msg string) *teamsError {
	return &teamsError{status: status, Code: code, Message: msg}
}

func writeTeamsError(w http.ResponseWriter, t *teamsError) {
	writeJSON(w, t.status, map[string]any{"error": t})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// decodeJSON reads a bounded JSON body; ServeHTTP caps the size.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fmt.Errorf("msemu: request body over %d bytes: %w", mbe.Limit, err)
		}
		return fmt.Errorf("msemu: malformed JSON body: %w", err)
	}
	return nil
}

// graphHandler adapts a handler that returns an error to Graph's error shape.
func (e *Emulator) graphHandler(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			var g *graphError
			if !errors.As(err, &g) {
				e.log.Error("msemu: graph handler", "path", r.URL.Path, "err", err)
				g = graphErr(http.StatusInternalServerError, "generalException", "An internal server error occurred.")
			}
			e.writeGraphError(w, g)
		}
	}
}

// teamsHandler adapts a handler that returns an error to the Teams admin shape.
func (e *Emulator) teamsHandler(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			var t *teamsError
			if !errors.As(err, &t) {
				e.log.Error("msemu: teams handler", "path", r.URL.Path, "err", err)
				t = teamsErr(http.StatusInternalServerError, "InternalServerError", "An internal server error occurred.")
			}
			writeTeamsError(w, t)
		}
	}
}
