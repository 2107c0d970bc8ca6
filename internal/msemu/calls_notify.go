package msemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
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
		body: commsNotifications("created", "/communications/calls/"+l.ID, incomingCall(c, l)),
		onSent: func(status int, err error) {
			if err != nil {
				e.callEvent(c, l, "notify_failed", map[string]any{"webhook": l.Webhook, "http_status": status, "error": err.Error()})
			}
		}}
}

// queue sends a state notification to the bot's callbackUri (the webhook
// until it answered), as call-answer.md's establishing and established
// examples show it: the call's type, @odata.id and state, plus resultInfo
// when it ended. Callers hold e.calls.mu.
func (e *Emulator) queue(l *botLeg, change string, res *resultInfo) {
	data := map[string]any{
		"@odata.type": "#microsoft.graph.call", "@odata.id": "/communications/calls/" + l.ID, "state": l.State,
	}
	if res != nil {
		data["resultInfo"] = map[string]any{"@odata.type": "#microsoft.graph.resultInfo",
			"code": res.Code, "subcode": res.Subcode, "message": res.Message}
	}
	e.enqueue(l, commsNotifications(change, "/communications/calls/"+l.ID, data))
}

func (e *Emulator) enqueue(l *botLeg, body map[string]any) {
	if l.sealed {
		return
	}
	url := l.CallbackURI
	if url == "" {
		url = l.Webhook
	}
	select {
	case l.outbox <- notification{url: url, appID: l.AppID, tid: l.TenantID, body: body}:
	default:
		e.log.Warn("msemu: notification queue full", "leg", l.ID)
	}
}

// queueRoster sends every established leg of the call the participants in
// it: the roster update of participant-invite.md, resourceData an array of
// participant. Callers hold e.calls.mu.
func (e *Emulator) queueRoster(c *emuCall) {
	for _, l := range c.legs {
		if l.Status != legEstablished {
			continue
		}
		roster := []map[string]any{}
		for _, pt := range c.present() {
			roster = append(roster, rosterEntry(pt))
		}
		roster = append(roster, map[string]any{"@odata.type": "#microsoft.graph.participant", "id": l.MyParticipant,
			"info": map[string]any{"@odata.type": "#microsoft.graph.participantInfo", "endpointType": "default",
				"identity": map[string]any{"@odata.type": "#microsoft.graph.identitySet",
					"applicationInstance": map[string]any{"@odata.type": "#microsoft.graph.identity", "id": l.InstanceID, "tenantId": l.TenantID}}},
			"mediaStreams": []map[string]any{}, "isMuted": true, "isInLobby": false})
		e.enqueue(l, commsNotifications("updated", "/communications/calls/"+l.ID+"/participants", roster))
		e.callEvent(c, l, "roster", map[string]any{"participants": len(roster)})
	}
}

func rosterEntry(pt *callParty) map[string]any {
	return map[string]any{"@odata.type": "#microsoft.graph.participant", "id": pt.ParticipantID,
		"info": map[string]any{"@odata.type": "#microsoft.graph.participantInfo", "identity": identityOf(pt), "endpointType": "default"},
		"mediaStreams": []map[string]any{{"@odata.type": "#microsoft.graph.mediaStream", "mediaType": "audio",
			"sourceId": pt.ParticipantID[:8], "direction": "sendReceive", "serverMuted": false}},
		"isMuted": false, "isInLobby": false}
}

// identityOf is a party's communicationsIdentitySet: a Teams user, a phone
// number, or an encrypted identity for a caller who hides theirs.
func identityOf(pt *callParty) map[string]any {
	set := map[string]any{"@odata.type": "#microsoft.graph.identitySet"}
	switch {
	case pt.Hidden:
		set["encrypted"] = map[string]any{"@odata.type": "#microsoft.graph.identity", "id": hiddenID(pt)}
	case pt.teams():
		set["user"] = map[string]any{"@odata.type": "#microsoft.graph.identity", "id": pt.UserID, "identityProvider": "AAD",
			"displayName": pt.DisplayName, "tenantId": pt.TenantID}
	default:
		set["phone"] = map[string]any{"@odata.type": "#microsoft.graph.identity", "id": pt.Phone}
	}
	return set
}

// hiddenID stands for Microsoft's opaque encrypted identity: it names no one.
func hiddenID(pt *callParty) string { return "enc-" + pt.ParticipantID }

// commsNotifications wraps one notification about resource url.
func commsNotifications(change, url string, data any) map[string]any {
	return map[string]any{
		"@odata.type": "#microsoft.graph.commsNotifications",
		"value": []map[string]any{{
			"@odata.type": "#microsoft.graph.commsNotification", "changeType": change,
			"resource": "/app/calls/" + strings.TrimPrefix(url, "/communications/calls/"), "resourceUrl": url, "resourceData": data,
		}},
	}
}

// incomingCall is the resourceData of a policy-based recording invitation
// in the shape of call-answer.md's Example 3: the source is the observed
// party, the target the bot's application instance, incomingContext names
// the observed participant, and botData.user carries only how the user
// takes part (Microsoft sends no id there).
func incomingCall(c *emuCall, l *botLeg) map[string]any {
	obs := c.party(l.group.party)
	user := map[string]any{"participationMethod": obs.Role}
	botData := map[string]any{"user": user, "inviteReasons": []string{"PolicyBasedRecording"},
		"policyIdentifier": obs.Policy, "pairedRecorders": []any{}, "otherRecorders": []any{}}
	if l.group.party < 2 {
		other := c.other(l.group.party)
		otherSide := map[string]any{"participationMethod": other.Role, "participantId": other.ParticipantID}
		if other.teams() && !other.Hidden {
			otherSide["id"], otherSide["tenantId"] = other.UserID, other.TenantID
		}
		botData["otherSideUser"] = otherSide
	}
	data := map[string]any{
		"@odata.type": "#microsoft.graph.call", "id": l.ID, "state": "incoming", "direction": "incoming",
		"source": map[string]any{"@odata.type": "#microsoft.graph.participantInfo", "id": obs.ParticipantID,
			"identity": map[string]any{"@odata.type": "#microsoft.graph.identitySet",
				"user": map[string]any{"@odata.type": "#microsoft.graph.identity", "id": obs.UserID, "identityProvider": "AAD"}},
			"endpointType": "default"},
		"targets": []map[string]any{{"@odata.type": "#microsoft.graph.invitationParticipantInfo",
			"identity": map[string]any{"@odata.type": "#microsoft.graph.identitySet",
				"applicationInstance": map[string]any{"@odata.type": "#microsoft.graph.identity", "id": l.InstanceID, "identityProvider": "AAD"}},
			"endpointType": "default", "id": l.MyParticipant}},
		"tenantId": l.TenantID, "myParticipantId": l.MyParticipant, "callChainId": c.ChainID,
		"incomingContext": map[string]any{"@odata.type": "#microsoft.graph.incomingContext",
			"sourceParticipantId": obs.ParticipantID, "observedParticipantId": obs.ParticipantID},
		"applicationMetadata": map[string]any{"botData": botData},
	}
	if l.group.party >= 2 {
		data["meetingInfo"] = map[string]any{"@odata.type": "#microsoft.graph.tokenMeetingInfo", "token": "emu-join-" + c.ID}
	}
	return data
}
