package msemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// notification is one commsNotification on its way to a bot.
type notification struct {
	url   string
	appID string
	tid   string
	body  map[string]any
	// onSent, when set, learns the bot's HTTP status (0 when unreachable).
	onSent func(status int, err error)
}

// deliver posts a leg's notifications one after another, so a bot sees
// establishing before established before terminated. It ends when the leg
// ends.
func (e *Emulator) deliver(l *botLeg) {
	for n := range l.outbox {
		status, err := e.post(n)
		if err != nil {
			e.log.Warn("msemu: calling notification not delivered", "url", n.url, "err", err)
		}
		if n.onSent != nil {
			n.onSent(status, err)
		}
	}
}

func (e *Emulator) post(n notification) (int, error) {
	if n.url == "" {
		return 0, fmt.Errorf("msemu: the recording application has no calling webhook")
	}
	tok, err := e.botToken(n.appID, n.tid)
	if err != nil {
		return 0, err
	}
	b, err := json.Marshal(n.body)
	if err != nil {
		return 0, fmt.Errorf("msemu: encode notification: %w", err)
	}
	req, err := http.NewRequest(http.MethodPost, n.url, bytes.NewReader(b))
	if err != nil {
		return 0, fmt.Errorf("msemu: notification request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	res, err := e.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("msemu: post notification: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
	if res.StatusCode >= 300 {
		return res.StatusCode, fmt.Errorf("msemu: bot answered the notification with %d", res.StatusCode)
	}
	return res.StatusCode, nil
}

// notifyIncoming sends the incoming-call notification to the bot's
// calling webhook; the answer deadline runs from here.
func (e *Emulator) notifyIncoming(l *botLeg) {
	e.calls.mu.Lock()
	defer e.calls.mu.Unlock()
	l.notifiedAt = time.Now()
	c := l.call
	e.callEvent(c, l, "notified", map[string]any{"webhook": l.Webhook, "instance_id": l.InstanceID, "app_id": l.AppID})
	l.outbox <- notification{url: l.Webhook, appID: l.AppID, tid: l.TenantID,
		body: commsNotifications("created", l.ID, incomingCall(c, l)),
		onSent: func(status int, err error) {
			if err != nil {
				e.callEvent(c, l, "notify_failed", map[string]any{"webhook": l.Webhook, "http_status": status, "error": err.Error()})
			}
		}}
}

// queue sends a state notification to the bot's callbackUri (the webhook
// until it answered). Callers hold e.calls.mu.
func (e *Emulator) queue(l *botLeg, change string, res *resultInfo) {
	if l.sealed {
		return
	}
	url := l.CallbackURI
	if url == "" {
		url = l.Webhook
	}
	data := map[string]any{
		"@odata.type": "#microsoft.graph.call", "id": l.ID, "state": l.State,
		"tenantId": l.TenantID, "callChainId": l.call.ChainID, "myParticipantId": l.MyParticipant,
	}
	if res != nil {
		data["resultInfo"] = map[string]any{"@odata.type": "#microsoft.graph.resultInfo",
			"code": res.Code, "subcode": res.Subcode, "message": res.Message}
	}
	select {
	case l.outbox <- notification{url: url, appID: l.AppID, tid: l.TenantID, body: commsNotifications(change, l.ID, data)}:
	default:
		e.log.Warn("msemu: notification queue full", "leg", l.ID)
	}
}

func commsNotifications(change, legID string, data map[string]any) map[string]any {
	return map[string]any{
		"@odata.type": "#microsoft.graph.commsNotifications",
		"value": []map[string]any{{
			"@odata.type": "#microsoft.graph.commsNotification", "changeType": change,
			"resourceUrl": "/communications/calls/" + legID, "resourceData": data,
		}},
	}
}

// incomingCall is the documented resourceData of a policy-based recording
// invitation: the source is the observed user, the target the bot's
// application instance.
func incomingCall(c *emuCall, l *botLeg) map[string]any {
	obs, other := c.Parties[l.group.party], c.Parties[1-l.group.party]
	otherSide := map[string]any{"participationMethod": other.Role}
	if other.teams() {
		otherSide["id"] = other.UserID
	} else {
		otherSide["phone"] = other.Phone
	}
	return map[string]any{
		"@odata.type": "#microsoft.graph.call", "id": l.ID, "state": "incoming", "direction": "incoming",
		"source": map[string]any{
			"@odata.type": "#microsoft.graph.participantInfo", "id": obs.ParticipantID,
			"identity": map[string]any{"@odata.type": "#microsoft.graph.identitySet",
				"user": map[string]any{"@odata.type": "#microsoft.graph.identity", "id": obs.UserID,
					"identityProvider": "AAD", "tenantId": obs.TenantID, "displayName": obs.DisplayName}},
		},
		"targets": []map[string]any{{"@odata.type": "#microsoft.graph.invitationParticipantInfo",
			"identity": map[string]any{"@odata.type": "#microsoft.graph.identitySet",
				"applicationInstance": map[string]any{"@odata.type": "#microsoft.graph.identity", "id": l.InstanceID, "tenantId": l.TenantID}}}},
		"requestedModalities": []string{"audio"},
		"tenantId":            l.TenantID, "myParticipantId": l.MyParticipant, "callChainId": c.ChainID,
		"incomingContext": map[string]any{"@odata.type": "#microsoft.graph.incomingContext",
			"sourceParticipantId": obs.ParticipantID, "observedParticipantId": obs.ParticipantID,
			"onBehalfOf": nil, "transferor": nil},
		"applicationMetadata": map[string]any{"botData": map[string]any{
			"user":          map[string]any{"id": obs.UserID, "participationMethod": obs.Role},
			"otherSideUser": otherSide, "inviteReasons": []string{"PolicyBasedRecording"},
			"policyIdentifier": obs.Policy, "pairedRecorders": []string{}, "otherRecorders": []string{},
		}},
		"meetingInfo": nil,
	}
}
