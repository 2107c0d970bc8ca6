package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"callrec/internal/httpserver"
	"callrec/internal/integration"
	"callrec/internal/principal"
)

// The wizard's Step 4 and the disconnect's Step 2 watch their job through
// GET /admin/integrations/teams/progress: server-sent events, one
// "progress" event with the integration (as the API shows it) each time a
// step changes. The stream ends when the job has ended (after the finished
// view) or after progressLifetime, when the browser's EventSource comes
// back on its own and gets the current view first.
const (
	progressLifetime  = 5 * time.Minute
	progressHeartbeat = 15 * time.Second
	progressRetryMS   = 2000
)

var errNoIntegration = &pageError{Status: http.StatusNotFound, Title: "No Microsoft Teams integration",
	Message: "Add the Microsoft Teams integration first.", Href: "/admin/integrations?add=1", Action: "Add integration"}

func (h *Handler) teamsProgress(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	tenantID, err := h.integrationTenant(p)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), progressLifetime)
	defer cancel()
	views, err := h.Integrations.Watch(ctx, tenantID)
	if errors.Is(err, integration.ErrNotFound) {
		return errNoIntegration
	}
	if err != nil {
		return err
	}
	w = httpserver.Stream(w, httpserver.StreamWriteTimeout)
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: %d\n\n", progressRetryMS)
	beat := time.NewTicker(progressHeartbeat)
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-beat.C:
			fmt.Fprint(w, ": heartbeat\n\n")
		case v, ok := <-views:
			if !ok {
				return nil
			}
			b, err := json.Marshal(v)
			if err != nil {
				return nil
			}
			fmt.Fprintf(w, "event: progress\ndata: %s\n\n", b)
		}
		if rc.Flush() != nil {
			return nil
		}
	}
}
