package msemu

import (
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"
)

// Application permissions the calling endpoints demand, both of them.
var callRoles = []string{"Calls.AccessMedia.All", "Calls.JoinGroupCall.All"}

// callLeg authenticates a calling request (app-only Graph token holding
// the calling roles) and finds the bot leg it names in the token's tenant.
// It returns with e.calls.mu held on success.
func (e *Emulator) callLeg(r *http.Request) (*botLeg, error) {
	e.mu.Lock()
	p, _, err := e.graphAuth(r, permAnyToken)
	e.mu.Unlock()
	if err != nil {
		return nil, err
	}
	for _, role := range callRoles {
		if !p.appOnly() || !slices.Contains(p.Roles, role) {
			return nil, graphErr(http.StatusForbidden, "Authorization_RequestDenied",
				"Insufficient privileges to complete the operation. The application needs the "+role+" application permission.")
		}
	}
	e.calls.mu.Lock()
	l := e.calls.legs[r.PathValue("id")]
	if l == nil || l.TenantID != p.TenantID || l.AppID != p.AppID {
		e.calls.mu.Unlock()
		return nil, graphErr(http.StatusNotFound, "itemNotFound", "Call '"+r.PathValue("id")+"' was not found.")
	}
	return l, nil
}

// liveLeg is callLeg for operations on a call that has not ended.
func (e *Emulator) liveLeg(r *http.Request) (*botLeg, error) {
	l, err := e.callLeg(r)
	if err != nil {
		return nil, err
	}
	if !l.active() {
		e.calls.mu.Unlock()
		return nil, graphErr(http.StatusNotFound, "itemNotFound", "Call '"+l.ID+"' has ended.")
	}
	return l, nil
}

type answerBody struct {
	CallbackURI string `json:"callbackUri"`
	MediaConfig struct {
		Type string `json:"@odata.type"`
		Blob string `json:"blob"`
	} `json:"mediaConfig"`
	AcceptedModalities  []string `json:"acceptedModalities"`
	ParticipantCapacity int      `json:"participantCapacity"`
}

func (b *answerBody) check() error {
	u, err := url.Parse(b.CallbackURI)
	switch {
	case b.CallbackURI == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return graphErr(http.StatusBadRequest, "BadRequest", "callbackUri must be an absolute https URL.")
	case b.MediaConfig.Type != "#microsoft.graph.appHostedMediaConfig":
		return graphErr(http.StatusBadRequest, "BadRequest", "Policy-based recording needs mediaConfig of type #microsoft.graph.appHostedMediaConfig.")
	case len(b.AcceptedModalities) > 0 && !slices.Contains(b.AcceptedModalities, "audio"):
		return graphErr(http.StatusBadRequest, "BadRequest", "acceptedModalities must include audio.")
	}
	return nil
}

// answerCall is POST /v1.0/communications/calls/{id}/answer: accepted only
// while the leg is incoming and within the answer deadline.
func (e *Emulator) answerCall(w http.ResponseWriter, r *http.Request) error {
	var b answerBody
	if err := decodeJSON(r, &b); err != nil {
		return graphErr(http.StatusBadRequest, "BadRequest", err.Error())
	}
	if err := b.check(); err != nil {
		return err
	}
	l, err := e.liveLeg(r)
	if err != nil {
		return err
	}
	defer e.calls.mu.Unlock()
	if l.Status != legNotified {
		return graphErr(http.StatusBadRequest, "BadRequest", "Call '"+l.ID+"' is not incoming; it was already answered.")
	}
	if time.Since(l.notifiedAt) > e.answerDeadline() {
		e.endLeg(l, legMissed, resultAnswerLate)
		l.call.poke()
		return graphErr(http.StatusNotFound, "itemNotFound", "Call '"+l.ID+"' has ended: it was not answered in time.")
	}
	l.Status, l.State, l.CallbackURI, l.Blob, l.Capacity = legAnswered, "establishing", b.CallbackURI, b.MediaConfig.Blob, b.ParticipantCapacity
	e.callEvent(l.call, l, "answered", map[string]any{"callback_uri": b.CallbackURI,
		"answer_ms": time.Since(l.notifiedAt).Milliseconds()})
	e.callEvent(l.call, l, "establishing", nil)
	e.queue(l, "updated", nil)
	if l.call.State == callConnected {
		e.establish(l) // a leg invited into a call under way (a meeting participant)
		e.queueRoster(l.call)
	}
	l.call.poke()
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// rejectCall is POST …/reject {"reason":"none|busy|forbidden"}.
func (e *Emulator) rejectCall(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(r, &b); err != nil {
		return graphErr(http.StatusBadRequest, "BadRequest", err.Error())
	}
	if b.Reason == "" {
		b.Reason = "none"
	}
	if !slices.Contains([]string{"none", "busy", "forbidden"}, b.Reason) {
		return graphErr(http.StatusBadRequest, "BadRequest", "reason must be none, busy or forbidden.")
	}
	l, err := e.liveLeg(r)
	if err != nil {
		return err
	}
	defer e.calls.mu.Unlock()
	if l.Status != legNotified {
		return graphErr(http.StatusBadRequest, "BadRequest", "Call '"+l.ID+"' is not incoming; it cannot be rejected.")
	}
	l.Status, l.State = legRejected, "terminated"
	l.seal()
	e.callEvent(l.call, l, "rejected", map[string]any{"reason": b.Reason})
	l.call.poke()
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// updateRecordingStatus shows the parties that the call is recorded: a
// banner in Teams, an announcement for a PSTN party unless the policy
// turns it off.
func (e *Emulator) updateRecordingStatus(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		ClientContext string `json:"clientContext"`
		Status        string `json:"status"`
	}
	if err := decodeJSON(r, &b); err != nil {
		return graphErr(http.StatusBadRequest, "BadRequest", err.Error())
	}
	if !slices.Contains([]string{"recording", "notRecording", "failed"}, b.Status) {
		return graphErr(http.StatusBadRequest, "BadRequest", "status must be recording, notRecording or failed.")
	}
	l, err := e.liveLeg(r)
	if err != nil {
		return err
	}
	defer e.calls.mu.Unlock()
	if l.Status == legNotified {
		return graphErr(http.StatusBadRequest, "BadRequest", "Call '"+l.ID+"' must be answered before its recording status is updated.")
	}
	l.Recording = b.Status
	e.callEvent(l.call, l, "recording_status", map[string]any{"status": b.Status, "client_context": b.ClientContext})
	e.applyNotice(l)
	writeJSON(w, http.StatusOK, map[string]any{
		"@odata.type": "#microsoft.graph.updateRecordingStatusOperation", "@odata.context": e.opts.BaseURL + "/v1.0/$metadata#updateRecordingStatusOperation",
		"status": "completed", "clientContext": b.ClientContext, "id": e.ids.NewID(), "resultInfo": nil,
	})
	return nil
}

// applyNotice updates the banners and announcements after a recording
// status change. Callers hold e.calls.mu.
func (e *Emulator) applyNotice(l *botLeg) {
	c := l.call
	recording := slices.ContainsFunc(c.legs, func(x *botLeg) bool { return x.active() && x.Recording == "recording" })
	for _, pt := range c.Parties {
		switch {
		case pt.teams() && recording && !pt.Banner:
			pt.Banner, pt.Saw = true, append(pt.Saw, "recording banner shown")
			e.callEvent(c, nil, "banner", map[string]any{"party": pt.Role, "user_id": pt.UserID, "shown": true})
		case pt.teams() && !recording && pt.Banner:
			pt.Banner, pt.Saw = false, append(pt.Saw, "recording banner removed")
			e.callEvent(c, nil, "banner", map[string]any{"party": pt.Role, "user_id": pt.UserID, "shown": false})
		case !pt.teams() && l.Recording == "recording" && !pt.Announced && !l.group.disableAnnouncement:
			pt.Announced, pt.Heard = true, append(pt.Heard, announcement)
			e.callEvent(c, nil, "announcement", map[string]any{"party": pt.Role, "phone": pt.Phone, "text": announcement})
		}
	}
}

const announcement = "This call is being recorded"

// keepAliveCall is POST …/keepAlive; a leg without one for 45 minutes ends.
func (e *Emulator) keepAliveCall(w http.ResponseWriter, r *http.Request) error {
	l, err := e.liveLeg(r)
	if err != nil {
		return err
	}
	defer e.calls.mu.Unlock()
	l.lastKeepAlive = e.clock.Now()
	e.callEvent(l.call, l, "keepalive", nil)
	w.WriteHeader(http.StatusOK)
	return nil
}

// deleteCall is DELETE /v1.0/communications/calls/{id}: the bot leaves.
func (e *Emulator) deleteCall(w http.ResponseWriter, r *http.Request) error {
	l, err := e.liveLeg(r)
	if err != nil {
		return err
	}
	defer e.calls.mu.Unlock()
	e.endLeg(l, legLeft, resultBotLeft)
	l.call.poke()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// getCall is GET /v1.0/communications/calls/{id}: the bot leg as Graph
// describes a call.
func (e *Emulator) getCall(w http.ResponseWriter, r *http.Request) error {
	l, err := e.callLeg(r)
	if err != nil {
		return err
	}
	defer e.calls.mu.Unlock()
	body := map[string]any{"@odata.type": "#microsoft.graph.call", "id": l.ID, "state": l.State,
		"direction": "incoming", "callbackUri": l.CallbackURI, "tenantId": l.TenantID,
		"callChainId": l.call.ChainID, "myParticipantId": l.MyParticipant, "requestedModalities": []string{"audio"}}
	if l.Result != nil {
		body["resultInfo"] = l.Result
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// callsFallback answers the calling paths no route serves, in Graph's
// error shape: 405 with Allow when the path exists for other methods (an
// answer fetched with GET), else 404 (an operation the emulator does not
// offer, such as participants/invite, which callrec never sends).
func (e *Emulator) callsFallback(mux *http.ServeMux) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "" && pattern != callsFallbackPattern {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			return graphErr(http.StatusMethodNotAllowed, "BadRequest", "The HTTP method '"+r.Method+"' is not allowed on this resource.")
		}
		return graphErr(http.StatusNotFound, "itemNotFound", "Resource not found for the segment '"+path.Base(r.URL.Path)+"'.")
	}
}

const callsFallbackPattern = "/v1.0/communications/"
