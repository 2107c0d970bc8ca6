package teamsbot

import (
	"context"
)

// participantCapacity is how many recorded participants one bot leg takes
// (the answer's participantCapacity, internal/teams.Calls.Answer).
const participantCapacity = 200

// The participantJoiningResponse kinds (docs/microsoft-contract.md).
const (
	acceptJoin = "#microsoft.graph.acceptJoinResponse"
	rejectJoin = "#microsoft.graph.rejectJoinResponse"
	inviteBot  = "#microsoft.graph.inviteNewBotResponse"
)

func acceptJoinResponse() map[string]string { return map[string]string{"@odata.type": acceptJoin} }

func rejectJoinResponse(reason string) map[string]string {
	return map[string]string{"@odata.type": rejectJoin, "reason": reason}
}

// inviteNewBotResponse asks Teams to send the joining user as a new
// incoming call to uri: callrec then handles them as a leg of their own.
func inviteNewBotResponse(uri string) map[string]string {
	return map[string]string{"@odata.type": inviteBot, "inviteUri": uri}
}

// joining answers a participantJoiningNotification: another user under a
// recording policy joins a call or meeting this bot leg already records.
// A user callrec records is accepted and listed under the call's chain (the
// leg's one recording already holds their audio); one it must not record
// is accepted where refusing would block them (nothing is listed), else
// rejected; a leg callrec does not know, or one at capacity, has Teams
// invite a new bot leg instead.
func (b *Bot) joining(ctx context.Context, tid string, n notification) map[string]string {
	callID := n.callID()
	leg, err := b.leg(ctx, tid, callID)
	if err != nil || leg.GraphCallID == "" {
		b.o.Log.Warn("teamsbot: participant joining an unknown call: asking for a new invitation", "call", callID, "err", err)
		return inviteNewBotResponse(b.o.WebhookURL)
	}
	count, err := b.db.Q().CountTeamsCallUsers(ctx, leg.TenantID, leg.GraphCallID)
	if err != nil {
		b.o.Log.Error("teamsbot: participant joining", "call", callID, "err", err)
		return inviteNewBotResponse(b.o.WebhookURL)
	}
	if count >= participantCapacity {
		return inviteNewBotResponse(b.o.WebhookURL)
	}
	integ, err := b.tenantFor(ctx, tid)
	if err != nil {
		return rejectJoinResponse("Forbidden")
	}
	obs := n.call.observed()
	d, err := b.decide(ctx, integ, tid, obs)
	if err != nil {
		b.o.Log.Error("teamsbot: participant joining", "call", callID, "err", err)
		return inviteNewBotResponse(b.o.WebhookURL)
	}
	b.o.Log.Info("teamsbot: participant joining", "call", callID, "observed", obs.AADID, "decision", d.decision, "reason", d.reason)
	switch {
	case d.decision == decisionRecord && leg.Decision == decisionRecord:
		if err := b.list(ctx, leg, d.userID, obs); err != nil {
			b.o.Log.Error("teamsbot: participant joining", "call", callID, "err", err)
			return inviteNewBotResponse(b.o.WebhookURL)
		}
		return acceptJoinResponse()
	case d.decision == decisionRecord:
		// This leg keeps no audio (its first user is not recorded): a leg
		// of the joining user's own will.
		return inviteNewBotResponse(b.o.WebhookURL)
	case d.decision == decisionSkip:
		return acceptJoinResponse()
	}
	return rejectJoinResponse("None")
}
