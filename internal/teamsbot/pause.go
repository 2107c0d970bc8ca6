package teamsbot

import (
	"context"
	"errors"
	"fmt"

	"callrec/internal/store"
)

// SetPaused reports a Teams call's pause to Teams (recordings.Controller):
// notRecording before the recorder stops keeping audio, recording before it
// keeps audio again, as Teams requires; the Teams parties' banner follows.
// Calls that did not come from Teams are left alone.
func (b *Bot) SetPaused(ctx context.Context, c store.Call, paused bool) error {
	if c.ExternalCallID == "" {
		return nil
	}
	leg, err := b.db.Q().GetTeamsCall(ctx, c.TenantID, c.ExternalCallID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // not a Teams leg callrec answered
	}
	if err != nil {
		return err
	}
	i, err := b.db.Q().GetIntegration(ctx, c.TenantID, "teams")
	if err != nil {
		return fmt.Errorf("teamsbot: pause: %w", err)
	}
	calls, err := b.calls(ctx, i.OrgID)
	if err != nil {
		return fmt.Errorf("teamsbot: pause: app token: %w", err)
	}
	status, next := "recording", "recording"
	if paused {
		status, next = "notRecording", "not_recording"
	}
	if err := calls.UpdateRecordingStatus(ctx, leg.GraphCallID, status, leg.GraphCallID); err != nil {
		return fmt.Errorf("teamsbot: updateRecordingStatus(%s): %w", status, err)
	}
	return b.setStatus(ctx, leg, next)
}
