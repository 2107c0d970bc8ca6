package integration

import (
	"context"
	"errors"
	"net/http"
	"time"

	"callrec/internal/teams"
)

// waitingFor says in plain words what a retrying step waits for, so the
// admin watching Step 4 or the removal knows why it sits still.
func (r *runner) waitingFor(key string, err error) string {
	var ae *teams.APIError
	if errors.As(err, &ae) && ae.Status == http.StatusTooManyRequests {
		return "Microsoft asked callrec to slow down; waiting as it asked"
	}
	var lag *lagError
	replicating := errors.As(err, &lag) || (ae != nil && ae.Transient() && ae.Status < 500)
	if r.i.JobKind == jobDisconnect {
		if replicating {
			return "Waiting for Microsoft to replicate the removal"
		}
		return "Waiting for Microsoft to accept the removal"
	}
	if !replicating && key != "policy" {
		return "Waiting for Microsoft's service to answer"
	}
	switch key {
	case "instance":
		return "Waiting for Microsoft to replicate the new application instance"
	case "policy":
		return "Waiting for Microsoft to replicate the new application instance to the Teams policy service"
	case "group":
		return "Waiting for Microsoft to replicate the new group"
	case "assign":
		if r.cfg.Scope == "group" {
			return "Waiting for Microsoft to replicate the new group"
		}
		return "Waiting for Microsoft to replicate the new recording policy"
	case "finalize":
		return "Waiting for Microsoft to replicate the new settings so callrec can read them back"
	}
	return "Waiting for Microsoft to replicate the change"
}

// tenantLocation is the tenant's time zone (UTC when unset or unknown).
func (s *Service) tenantLocation(ctx context.Context, tenantID string) *time.Location {
	t, err := s.db.Q().GetTenant(ctx, tenantID)
	if err != nil || t.Timezone == "" {
		return time.UTC
	}
	if loc, err := time.LoadLocation(t.Timezone); err == nil {
		return loc
	}
	return time.UTC
}
