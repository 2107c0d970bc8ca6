package msemu

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// maxCallDuration bounds an emulated call.
const maxCallDuration = 4 * time.Hour

// PlaceCall is the body of POST /emu/calls: a Teams user's UPN or an E.164
// number on each side, at least one of them a Teams user.
type PlaceCall struct {
	From            string  `json:"from"`
	To              string  `json:"to"`
	DurationSeconds float64 `json:"duration_seconds"`
	// HideCallerID has the caller withhold their identity: other
	// participants' bots see it encrypted.
	HideCallerID bool `json:"hide_caller_id"`
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// errNoCall is an unknown call id.
var errNoCall = errors.New("msemu: no such call")

// errBadCall is a /emu/calls request the emulator refuses with 400.
var errBadCall = errors.New("msemu: bad call")

// PlaceCall starts a call and returns its id; the call runs on its own.
func (e *Emulator) PlaceCall(p PlaceCall) (string, error) {
	c, err := e.newCall(p)
	if err != nil {
		return "", err
	}
	e.calls.add(c)
	e.callEvent(c, nil, "placed", map[string]any{"from": p.From, "to": p.To, "duration_seconds": p.DurationSeconds,
		"recorders": len(c.legs)})
	go e.runCall(c)
	return c.ID, nil
}

func (e *Emulator) newCall(p PlaceCall) (*emuCall, error) {
	d := time.Duration(p.DurationSeconds * float64(time.Second))
	if p.DurationSeconds <= 0 || d > maxCallDuration {
		return nil, fmt.Errorf("%w: duration_seconds must be more than 0 and at most %d", errBadCall, int(maxCallDuration.Seconds()))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	caller, err := e.resolveParty(p.From, "caller")
	if err != nil {
		return nil, err
	}
	callee, err := e.resolveParty(p.To, "callee")
	if err != nil {
		return nil, err
	}
	switch {
	case !caller.teams() && !callee.teams():
		return nil, fmt.Errorf("%w: at least one party must be a Teams user", errBadCall)
	case strings.EqualFold(p.From, p.To):
		return nil, fmt.Errorf("%w: a party cannot call itself", errBadCall)
	}
	caller.Sample, callee.Sample, caller.Hidden = samples[0], samples[1], p.HideCallerID
	c := &emuCall{ID: e.ids.NewID(), ChainID: e.ids.NewID(), Parties: [2]*callParty{caller, callee}, Duration: d,
		State: callSetup, Placed: e.clock.Now(),
		wake: make(chan struct{}, 1), hangup: make(chan string, 1), done: make(chan struct{})}
	for i, pt := range c.Parties {
		pt.ParticipantID = e.ids.NewID()
		if pt.teams() {
			e.inviteRecorders(c, i)
		}
	}
	return c, nil
}

// resolveParty reads a UPN as a Teams user and "+…" as a PSTN number.
func (e *Emulator) resolveParty(ref, role string) (*callParty, error) {
	ref = strings.TrimSpace(ref)
	if strings.HasPrefix(ref, "+") {
		if !e164.MatchString(ref) {
			return nil, fmt.Errorf("%w: %s %q is not an E.164 number such as +15551230000", errBadCall, role, ref)
		}
		return &callParty{Role: role, Phone: ref, DisplayName: ref}, nil
	}
	t, u := e.w.findUserByUPN(ref)
	if u == nil || !e.visible(u.Created) {
		return nil, fmt.Errorf("%w: %s %q is neither a known Teams user nor a +E.164 number", errBadCall, role, ref)
	}
	if u.ResourceAccount {
		return nil, fmt.Errorf("%w: %s %q is a resource account, not a person", errBadCall, role, ref)
	}
	return &callParty{Role: role, TenantID: t.ID, Domain: t.Domain, UserID: u.ID, UPN: u.UPN, DisplayName: u.DisplayName}, nil
}

// inviteRecorders creates the bot legs of a Teams party from its effective
// policy: every application of the policy, as many times as its
// ConcurrentInvitationCount, plus its paired application, all in parallel.
// Callers hold e.mu.
func (e *Emulator) inviteRecorders(c *emuCall, party int) {
	pt := c.party(party)
	t := e.w.Tenants[pt.TenantID]
	ep := e.effective(t, t.Users[pt.UserID])
	pol := t.Policies[ep.PolicyName]
	if pol == nil || !pol.Enabled || len(pol.Applications) == 0 {
		return
	}
	pt.Policy = pol.Identity
	for _, app := range pol.Applications {
		g := &recorderGroup{party: party, requiredBefore: app.RequiredBeforeCallEstablishment,
			requiredDuring: app.RequiredDuringCall, disableAnnouncement: pol.DisableAudioNotification}
		if party >= 2 { // joining a meeting: the meeting flags apply
			g.requiredBefore, g.requiredDuring = app.RequiredBeforeMeetingJoin, app.RequiredDuringMeeting
		}
		ids := []string{}
		for range max(app.ConcurrentInvitationCount, 1) {
			ids = append(ids, app.ID)
		}
		for _, id := range append(ids, app.PairedApplications...) {
			g.legs = append(g.legs, e.newLeg(c, g, t, id))
		}
		c.groups = append(c.groups, g)
		c.legs = append(c.legs, g.legs...)
	}
}

func (e *Emulator) newLeg(c *emuCall, g *recorderGroup, t *tenant, instanceID string) *botLeg {
	l := &botLeg{ID: e.ids.NewID(), call: c, group: g, TenantID: t.ID, InstanceID: instanceID,
		MyParticipant: e.ids.NewID(), Status: legNotified, State: "incoming", outbox: make(chan notification, 16)}
	if in := t.Instances[instanceID]; in != nil {
		l.AppID = in.ApplicationID
		if app := e.w.Apps[in.ApplicationID]; app != nil {
			l.Webhook = app.CallingWebhook
		}
	}
	return l
}

func (e *Emulator) emuPlaceCall(w http.ResponseWriter, r *http.Request) {
	var p PlaceCall
	if err := decodeJSON(r, &p); err != nil {
		emuError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	id, err := e.PlaceCall(p)
	if err != nil {
		emuError(w, http.StatusBadRequest, "bad_request", strings.TrimPrefix(err.Error(), errBadCall.Error()+": "))
		return
	}
	writeJSON(w, http.StatusCreated, e.CallView(id))
}

func (e *Emulator) emuListCalls(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"calls": e.CallViews()})
}

func (e *Emulator) emuGetCall(w http.ResponseWriter, r *http.Request) {
	v := e.CallView(r.PathValue("id"))
	if v == nil {
		emuError(w, http.StatusNotFound, "not_found", "no such call")
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// emuHangup ends a call: {"by":"caller"|"callee"}, the caller when absent.
func (e *Emulator) emuHangup(w http.ResponseWriter, r *http.Request) {
	var b struct {
		By string `json:"by"`
	}
	if r.ContentLength > 0 {
		if err := decodeJSON(r, &b); err != nil {
			emuError(w, http.StatusBadRequest, "bad_request", err.Error())
			return
		}
	}
	if b.By == "" {
		b.By = "caller"
	}
	if b.By != "caller" && b.By != "callee" {
		emuError(w, http.StatusBadRequest, "bad_request", `"by" must be caller or callee`)
		return
	}
	switch err := e.Hangup(r.PathValue("id"), b.By); {
	case errors.Is(err, errNoCall):
		emuError(w, http.StatusNotFound, "not_found", "no such call")
		return
	case err != nil:
		emuError(w, http.StatusConflict, "call_ended", "the call is no longer in progress")
		return
	}
	writeJSON(w, http.StatusOK, e.CallView(r.PathValue("id")))
}

// Hangup ends a call in setup or connected state, as if party by hung up.
func (e *Emulator) Hangup(callID, by string) error {
	e.calls.mu.Lock()
	c := e.calls.calls[callID]
	live := c != nil && (c.State == callSetup || c.State == callConnected)
	e.calls.mu.Unlock()
	if c == nil {
		return errNoCall
	}
	if !live {
		return fmt.Errorf("msemu: call %q is not in progress", callID)
	}
	select {
	case c.hangup <- by:
	default:
	}
	<-c.done
	return nil
}

func emuError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// Close hangs up every call in progress and waits until each has ended.
func (e *Emulator) Close() error {
	e.calls.mu.Lock()
	var live []string
	for _, c := range e.calls.calls {
		if c.State == callSetup || c.State == callConnected {
			live = append(live, c.ID)
		}
	}
	e.calls.mu.Unlock()
	for _, id := range live {
		_ = e.Hangup(id, "caller")
	}
	return nil
}
