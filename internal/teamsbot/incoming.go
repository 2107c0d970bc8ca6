package teamsbot

import (
	"context"
	"errors"
	"fmt"

	"callrec/internal/auth"
	"callrec/internal/integration"
	"callrec/internal/policy"
	"callrec/internal/store"
)

// Decisions about a leg.
const (
	decisionRecord = "record" // answer, report recording, keep the audio
	decisionSkip   = "skip"   // answer (the policy would block the call), keep nothing, report notRecording
	decisionReject = "reject" // decline the invitation
)

// incoming answers or rejects a new compliance-recording invitation.
func (b *Bot) incoming(ctx context.Context, tid string, n notification) error {
	callID := n.callID()
	integ, err := b.tenantFor(ctx, tid)
	if err != nil {
		b.o.Log.Warn("teamsbot: call for a tenant without a connected integration", "tid", tid, "err", err)
		return b.reject(ctx, tid, callID, "forbidden")
	}
	obs := n.call.observed()
	leg := store.TeamsCall{GraphCallID: callID, TenantID: integ.TenantID, ChainID: n.call.chainID(callID),
		Correlation: auth.RandomToken(""), ObservedAADID: obs.AADID, Direction: obs.Direction, Status: "answering",
		CreatedAt: b.stamp(), UpdatedAt: b.stamp()}
	d, err := b.decide(ctx, integ, tid, obs)
	if err != nil {
		return err
	}
	leg.UserID, leg.Decision, leg.Reason = d.userID, d.decision, d.reason
	if err := b.db.Q().InsertTeamsCall(ctx, leg); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil // a duplicate notification: this leg is already handled
		}
		return err
	}
	if leg.Decision == decisionRecord {
		if err := b.list(ctx, leg, leg.UserID, obs); err != nil {
			return err
		}
	}
	if leg.Decision == decisionReject {
		if err := b.reject(ctx, tid, callID, "none"); err != nil {
			return err
		}
		return b.setStatus(ctx, leg, "rejected")
	}
	return b.answer(ctx, tid, leg)
}

// decision is what callrec does about one observed participant.
type decision struct {
	userID   string
	decision string // decisionRecord, decisionSkip or decisionReject
	reason   string
}

// decide applies the observed user's recording rules. A participant that
// is not a directory user (a PSTN number, an encrypted or missing
// identity) has no rules and no one to attribute a recording to: nothing
// is kept, and the call is answered only where refusing would block it.
func (b *Bot) decide(ctx context.Context, integ store.Integration, tid string, obs observation) (decision, error) {
	var d decision
	record, reason := false, ""
	if obs.AADID == "" {
		reason = "the observed participant is not a directory user (" + obs.Kind + "): no one to attribute a recording to"
	} else {
		u, provisionNote, err := b.ensureUser(ctx, integ.TenantID, tid, obs.AADID)
		if err != nil {
			return d, err
		}
		d.userID = u.ID
		tenant, err := b.db.Q().GetTenant(ctx, integ.TenantID)
		if err != nil {
			return d, err
		}
		pd := policy.Decide(u, obs.Direction, tenant.DefaultRecord)
		record, reason = pd.Record, pd.Reason
		if pd.OnDemand {
			// Teams starts a compliance recording when the call connects and
			// shows its banner to everyone; the guide has Teams users set to
			// Always or Never, so an on-demand rule records nothing here.
			record, reason = false, pd.Reason+"; not available for Teams calls, which are recorded Always or Never"
		}
		if provisionNote != "" && !record {
			reason = provisionNote
		}
	}
	d.decision, d.reason = decisionReject, reason
	if record {
		d.decision = decisionRecord
	} else if blocks(integ) {
		d.decision = decisionSkip
		d.reason = reason + "; answered without recording because the policy's Required flags would block the call"
	}
	return d, nil
}

// list lists a recorded user under the leg's chain, so the chain's one
// recording shows in their list.
func (b *Bot) list(ctx context.Context, leg store.TeamsCall, userID string, obs observation) error {
	_, err := b.db.Q().AddTeamsCallUser(ctx, store.TeamsCallUser{TenantID: leg.TenantID, ChainID: leg.ChainID, UserID: userID,
		GraphCallID: leg.GraphCallID, ObservedAADID: obs.AADID, Direction: obs.Direction, CreatedAt: b.stamp()})
	return err
}

// blocks reports whether refusing the recorder would block or cut the call.
func blocks(i store.Integration) bool {
	var cfg integration.Config
	if err := decodeConfig(i.Config, &cfg); err != nil {
		return true // unknown flags: assume Microsoft's default (all on)
	}
	return cfg.Flags.RequiredBeforeCallEstablishment || cfg.Flags.RequiredDuringCall
}

func (b *Bot) answer(ctx context.Context, tid string, leg store.TeamsCall) error {
	blob, err := b.o.Media.MediaConfig(ctx, MediaCall{TenantID: leg.TenantID, GraphCallID: leg.GraphCallID, Correlation: leg.Correlation})
	if err != nil {
		return err
	}
	c, err := b.calls(ctx, tid)
	if err != nil {
		return fmt.Errorf("teamsbot: app token: %w", err)
	}
	if err := c.Answer(ctx, leg.GraphCallID, b.o.WebhookURL, blob); err != nil {
		_ = b.setStatus(ctx, leg, "failed")
		return fmt.Errorf("teamsbot: answer: %w", err)
	}
	return b.setStatus(ctx, leg, "answered")
}

func (b *Bot) reject(ctx context.Context, tid, callID, reason string) error {
	c, err := b.calls(ctx, tid)
	if err != nil {
		return fmt.Errorf("teamsbot: app token: %w", err)
	}
	return c.Reject(ctx, callID, reason)
}

func (b *Bot) setStatus(ctx context.Context, leg store.TeamsCall, status string) error {
	leg.Status = status
	if err := b.db.Q().SetTeamsCallStatus(ctx, leg.TenantID, leg.GraphCallID, status, b.stamp()); err != nil {
		return err
	}
	b.publish(ctx, leg.TenantID, "teams.call."+status, leg)
	return nil
}

// established reports the recording status once the call is up: recording
// for a leg callrec records (only then may the recorder keep audio),
// notRecording for one it answered only to keep the call alive.
func (b *Bot) established(ctx context.Context, tid string, n notification) error {
	leg, err := b.leg(ctx, tid, n.callID())
	if err != nil || leg.Status != "answered" {
		return err
	}
	c, err := b.calls(ctx, tid)
	if err != nil {
		return err
	}
	status, next := "notRecording", "not_recording"
	if leg.Decision == decisionRecord {
		status, next = "recording", "recording"
	}
	if err := c.UpdateRecordingStatus(ctx, leg.GraphCallID, status, leg.GraphCallID); err != nil {
		_ = b.setStatus(ctx, leg, "failed")
		return fmt.Errorf("teamsbot: updateRecordingStatus(%s): %w", status, err)
	}
	return b.setStatus(ctx, leg, next)
}

func (b *Bot) terminated(ctx context.Context, tid string, n notification) error {
	leg, err := b.leg(ctx, tid, n.callID())
	if err != nil || leg.Status == "terminated" {
		return err
	}
	return b.setStatus(ctx, leg, "terminated")
}

// leg loads a known leg; an unknown call id is ignored (nil, nil leg).
func (b *Bot) leg(ctx context.Context, tid, callID string) (store.TeamsCall, error) {
	i, err := b.db.Q().IntegrationByOrgID(ctx, "teams", tid)
	if err != nil {
		return store.TeamsCall{}, nil
	}
	leg, err := b.db.Q().GetTeamsCall(ctx, i.TenantID, callID)
	if errors.Is(err, store.ErrNotFound) {
		return store.TeamsCall{}, nil
	}
	return leg, err
}
