package msemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Meetings: Teams users join a connected call one by one and leave again.
// A joining user under a recording policy is offered first to a bot leg of
// the same recording application that answered with room to spare
// (participantCapacity), as a participantJoiningNotification whose HTTP
// response is the bot's participantJoiningResponse (accept, reject or
// inviteNewBot); otherwise, or on inviteNewBot, the user's bot gets an
// incoming call of their own (call-answer.md, Example 3).

// errJoinBlocked is a join a required recorder refused.
var errJoinBlocked = errors.New("msemu: a required recorder refused the participant")

const joiningNotificationType = "#microsoft.graph.participantJoiningNotification"

// Join adds a Teams user to a connected call and returns how their
// recording was settled: accepted (by a leg already in the call), invited
// (a leg of their own), rejected, unanswered or none (no policy).
func (e *Emulator) Join(callID, ref string) (string, error) {
	e.mu.Lock()
	pt, err := e.resolveParty(ref, "participant")
	if err == nil && !pt.teams() {
		err = fmt.Errorf("%w: only Teams users join a meeting here", errBadCall)
	}
	if err != nil {
		e.mu.Unlock()
		return "", err
	}
	e.calls.mu.Lock()
	c := e.calls.calls[callID]
	switch {
	case c == nil:
		err = errNoCall
	case c.State != callConnected:
		err = fmt.Errorf("msemu: call %q is not in progress", callID)
	case slices.ContainsFunc(c.present(), func(p *callParty) bool { return p.UserID == pt.UserID }):
		err = fmt.Errorf("%w: %s is already in the call", errBadCall, ref)
	}
	if err != nil {
		e.calls.mu.Unlock()
		e.mu.Unlock()
		return "", err
	}
	pt.ParticipantID, pt.Sample = e.ids.NewID(), samples[len(c.Joined)%len(samples)]
	c.Joined = append(c.Joined, pt)
	idx := len(c.Joined) + 1
	before, beforeGroups := len(c.legs), len(c.groups)
	e.inviteRecorders(c, idx)
	newLegs := slices.Clone(c.legs[before:])
	c.legs, c.groups = c.legs[:before], c.groups[:beforeGroups]
	e.mu.Unlock()
	e.callEvent(c, nil, "joined", map[string]any{"party": pt.Role, "user_id": pt.UserID, "policy": pt.Policy})
	e.calls.mu.Unlock()
	if len(newLegs) == 0 {
		e.afterJoin(c)
		return "none", nil
	}
	outcome := "invited"
	for _, l := range newLegs {
		res, err := e.offer(c, l)
		if err != nil {
			return "", err
		}
		outcome = res
	}
	e.afterJoin(c)
	return outcome, nil
}

func (e *Emulator) afterJoin(c *emuCall) {
	e.calls.mu.Lock()
	defer e.calls.mu.Unlock()
	e.queueRoster(c)
}

// offer settles one recorder invitation of a joining user: to a leg in the
// call with capacity as a participantJoiningNotification, else as an
// incoming call of its own.
func (e *Emulator) offer(c *emuCall, want *botLeg) (string, error) {
	e.calls.mu.Lock()
	var host *botLeg
	for _, l := range c.legs {
		if l.Status == legEstablished && l.InstanceID == want.InstanceID && l.CallbackURI != "" && l.Accepted+1 < l.Capacity {
			host = l
			break
		}
	}
	pt := c.party(want.group.party)
	if host == nil {
		e.startLeg(c, want, want.Webhook)
		e.calls.mu.Unlock()
		return "invited", nil
	}
	data := incomingCall(c, want)
	data["id"] = host.ID
	body := commsNotifications("created", "/communications/calls/"+host.ID,
		map[string]any{"@odata.type": joiningNotificationType, "call": data})
	n := notification{url: host.CallbackURI, appID: host.AppID, tid: host.TenantID, body: body}
	e.callEvent(c, host, "participant_joining", map[string]any{"user_id": pt.UserID})
	e.calls.mu.Unlock()

	answer, err := e.postForAnswer(n)
	e.calls.mu.Lock()
	defer e.calls.mu.Unlock()
	kind, _ := answer["@odata.type"].(string)
	switch {
	case err == nil && kind == "#microsoft.graph.acceptJoinResponse":
		host.Accepted++
		want.group.joined = true
		e.callEvent(c, host, "join_accepted", map[string]any{"user_id": pt.UserID})
		if host.Recording == "recording" {
			e.applyNotice(host)
		}
		return "accepted", nil
	case err == nil && kind == "#microsoft.graph.inviteNewBotResponse":
		uri, _ := answer["inviteUri"].(string)
		e.callEvent(c, host, "join_invite_new_bot", map[string]any{"user_id": pt.UserID, "invite_uri": uri})
		e.startLeg(c, want, uri)
		return "invited", nil
	}
	reason := "rejected"
	if err != nil || kind != "#microsoft.graph.rejectJoinResponse" {
		reason = "unanswered" // an empty 202, an error, or no participantJoiningResponse
	}
	e.callEvent(c, host, "join_"+reason, map[string]any{"user_id": pt.UserID, "error": fmt.Sprint(err)})
	if want.group.requiredBefore {
		pt.Left, pt.Blocked = true, true
		return "", fmt.Errorf("%w (%s)", errJoinBlocked, reason)
	}
	return reason, nil
}

// startLeg invites a bot leg into a call already under way. Callers hold
// e.calls.mu.
func (e *Emulator) startLeg(c *emuCall, l *botLeg, webhook string) {
	l.Webhook = webhook
	c.legs = append(c.legs, l)
	c.groups = append(c.groups, l.group)
	e.calls.legs[l.ID] = l
	go e.deliver(l)
	l.notifiedAt = time.Now()
	e.callEvent(c, l, "notified", map[string]any{"webhook": l.Webhook, "instance_id": l.InstanceID, "app_id": l.AppID})
	l.outbox <- notification{url: l.Webhook, appID: l.AppID, tid: l.TenantID,
		body: commsNotifications("created", "/communications/calls/"+l.ID, incomingCall(c, l))}
	time.AfterFunc(e.answerDeadline(), func() {
		e.calls.mu.Lock()
		defer e.calls.mu.Unlock()
		if l.Status == legNotified {
			e.endLeg(l, legMissed, resultAnswerLate)
		}
	})
}

// postForAnswer delivers a notification whose HTTP response carries the
// bot's answer.
func (e *Emulator) postForAnswer(n notification) (map[string]any, error) {
	tok, err := e.botToken(n.appID, n.tid)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(n.body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, n.url, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	res, err := e.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("msemu: bot answered the participant joining notification with %d", res.StatusCode)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("msemu: participant joining answer: %w", err)
	}
	return out, nil
}

// Leave takes a joined participant out of the call: their own bot legs
// end, the others get the new roster.
func (e *Emulator) Leave(callID, ref string) error {
	e.calls.mu.Lock()
	defer e.calls.mu.Unlock()
	c := e.calls.calls[callID]
	if c == nil {
		return errNoCall
	}
	for i, pt := range c.Joined {
		if pt.Left || !strings.EqualFold(pt.UPN, ref) && pt.UserID != ref {
			continue
		}
		pt.Left = true
		for _, l := range c.legs {
			if l.group.party == i+2 {
				e.endLeg(l, legEnded, resultEnded)
			}
		}
		e.callEvent(c, nil, "left", map[string]any{"user_id": pt.UserID})
		e.queueRoster(c)
		return nil
	}
	return fmt.Errorf("%w: %s is not a participant who joined", errBadCall, ref)
}

func (e *Emulator) emuJoin(w http.ResponseWriter, r *http.Request) {
	var b struct {
		User string `json:"user"`
	}
	if err := decodeJSON(r, &b); err != nil {
		emuError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	outcome, err := e.Join(r.PathValue("id"), b.User)
	switch {
	case errors.Is(err, errNoCall):
		emuError(w, http.StatusNotFound, "not_found", "no such call")
	case errors.Is(err, errJoinBlocked):
		emuError(w, http.StatusConflict, "join_blocked", err.Error())
	case errors.Is(err, errBadCall):
		emuError(w, http.StatusBadRequest, "bad_request", strings.TrimPrefix(err.Error(), errBadCall.Error()+": "))
	case err != nil:
		emuError(w, http.StatusConflict, "call_ended", "the call is no longer in progress")
	default:
		writeJSON(w, http.StatusOK, map[string]any{"recording": outcome, "call": e.CallView(r.PathValue("id"))})
	}
}

func (e *Emulator) emuLeave(w http.ResponseWriter, r *http.Request) {
	switch err := e.Leave(r.PathValue("id"), r.PathValue("user")); {
	case errors.Is(err, errNoCall):
		emuError(w, http.StatusNotFound, "not_found", "no such call")
	case err != nil:
		emuError(w, http.StatusBadRequest, "bad_request", strings.TrimPrefix(err.Error(), errBadCall.Error()+": "))
	default:
		writeJSON(w, http.StatusOK, e.CallView(r.PathValue("id")))
	}
}
