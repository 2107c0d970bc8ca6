package msemu

import (
	"net/http"
	"slices"
	"sort"
	"strings"
)

const policyType = "TeamsComplianceRecordingPolicy"

// policyIdentity normalises "P" and "Tag:P" to "Tag:P"; "Global" stays.
func policyIdentity(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "Global") || strings.HasPrefix(s, "Tag:") {
		return s
	}
	return "Tag:" + s
}

func appJSON(parent string, a *recordingApp) map[string]any {
	paired := []map[string]string{}
	for _, id := range a.PairedApplications {
		paired = append(paired, map[string]string{"Id": id})
	}
	return map[string]any{
		"Identity": parent + "/" + a.ID, "Id": a.ID,
		"RequiredBeforeMeetingJoin":             a.RequiredBeforeMeetingJoin,
		"RequiredBeforeCallEstablishment":       a.RequiredBeforeCallEstablishment,
		"RequiredDuringMeeting":                 a.RequiredDuringMeeting,
		"RequiredDuringCall":                    a.RequiredDuringCall,
		"ConcurrentInvitationCount":             a.ConcurrentInvitationCount,
		"ComplianceRecordingPairedApplications": paired,
	}
}

func policyJSON(p *recordingPolicy) map[string]any {
	apps := []map[string]any{}
	for _, a := range p.Applications {
		apps = append(apps, appJSON(p.Identity, a))
	}
	return map[string]any{
		"Identity": p.Identity, "Enabled": p.Enabled, "Description": p.Description,
		"WarnUserOnRemoval": p.WarnUserOnRemoval,
		"DisableComplianceRecordingAudioNotificationForCalls": p.DisableAudioNotification,
		"RecordReroutedCalls": p.RecordReroutedCalls, "CustomBanner": nullable(p.CustomBanner),
		"ComplianceRecordingApplications": apps,
	}
}

// appBody is a recording application as the API accepts it; the Required*
// flags are pointers because they default to true.
type appBody struct {
	Parent                                string   `json:"Parent"`
	ID                                    string   `json:"Id"`
	RequiredBeforeMeetingJoin             *bool    `json:"RequiredBeforeMeetingJoin"`
	RequiredBeforeCallEstablishment       *bool    `json:"RequiredBeforeCallEstablishment"`
	RequiredDuringMeeting                 *bool    `json:"RequiredDuringMeeting"`
	RequiredDuringCall                    *bool    `json:"RequiredDuringCall"`
	ConcurrentInvitationCount             int      `json:"ConcurrentInvitationCount"`
	ComplianceRecordingPairedApplications []idBody `json:"ComplianceRecordingPairedApplications"`
}

type idBody struct {
	ID string `json:"Id"`
}

// policyBody is a policy as the API accepts it on create and update.
type policyBody struct {
	Identity                                            string    `json:"Identity"`
	Enabled                                             *bool     `json:"Enabled"`
	Description                                         *string   `json:"Description"`
	WarnUserOnRemoval                                   *bool     `json:"WarnUserOnRemoval"`
	DisableComplianceRecordingAudioNotificationForCalls *bool     `json:"DisableComplianceRecordingAudioNotificationForCalls"`
	RecordReroutedCalls                                 *bool     `json:"RecordReroutedCalls"`
	CustomBanner                                        *string   `json:"CustomBanner"`
	ComplianceRecordingApplications                     []appBody `json:"ComplianceRecordingApplications"`
}

func orTrue(b *bool) bool { return b == nil || *b }

// buildApp validates a recording application against the documented rules.
func (e *Emulator) buildApp(t *tenant, b appBody) (*recordingApp, error) {
	if _, err := e.raceCheckedInstance(t, b.ID); err != nil {
		return nil, err
	}
	a := &recordingApp{
		ID:                              b.ID,
		RequiredBeforeMeetingJoin:       orTrue(b.RequiredBeforeMeetingJoin),
		RequiredBeforeCallEstablishment: orTrue(b.RequiredBeforeCallEstablishment),
		RequiredDuringMeeting:           orTrue(b.RequiredDuringMeeting),
		RequiredDuringCall:              orTrue(b.RequiredDuringCall),
		ConcurrentInvitationCount:       b.ConcurrentInvitationCount,
	}
	if a.ConcurrentInvitationCount == 0 {
		a.ConcurrentInvitationCount = 1
	}
	switch {
	case a.ConcurrentInvitationCount != 1 && a.ConcurrentInvitationCount != 2:
		return nil, teamsErr(http.StatusBadRequest, "BadRequest", "ConcurrentInvitationCount must be 1 or 2.")
	case len(b.ComplianceRecordingPairedApplications) > 1:
		return nil, teamsErr(http.StatusBadRequest, "BadRequest", "At most one paired application is allowed.")
	case len(b.ComplianceRecordingPairedApplications) == 1 && a.ConcurrentInvitationCount == 2:
		return nil, teamsErr(http.StatusBadRequest, "BadRequest", "ComplianceRecordingPairedApplications and ConcurrentInvitationCount 2 cannot be used together.")
	}
	for _, p := range b.ComplianceRecordingPairedApplications {
		if p.ID == b.ID {
			return nil, teamsErr(http.StatusBadRequest, "BadRequest", "An application cannot be paired with itself.")
		}
		if _, err := e.raceCheckedInstance(t, p.ID); err != nil {
			return nil, err
		}
		a.PairedApplications = append(a.PairedApplications, p.ID)
	}
	return a, nil
}

// raceCheckedInstance finds an application instance a policy refers to; an
// instance that has not replicated yet fails the way Microsoft's race does.
func (e *Emulator) raceCheckedInstance(t *tenant, id string) (*appInstance, error) {
	in := t.Instances[id]
	if in == nil || !e.visible(in.Created) {
		return nil, raceError(id)
	}
	return in, nil
}

func raceError(id string) *teamsError {
	return teamsErr(http.StatusNotFound, "ApplicationInstanceNotFound",
		"Application instance '"+id+"' was not found in the tenant. A newly created application instance can take a while to replicate; wait at least 30 seconds and retry.")
}

func (e *Emulator) visiblePolicy(t *tenant, identity string) (*recordingPolicy, error) {
	p := t.Policies[policyIdentity(identity)]
	if p == nil || !e.visible(p.Created) {
		return nil, teamsErr(http.StatusNotFound, "NotFound", "Policy '"+identity+"' of type "+policyType+" was not found.")
	}
	return p, nil
}

func (e *Emulator) listPolicies(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.teamsAuth(r, false)
	if err != nil {
		return err
	}
	var ids []string
	for id, p := range t.Policies {
		if e.visible(p.Created) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	out := []map[string]any{}
	for _, id := range ids {
		out = append(out, policyJSON(t.Policies[id]))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (e *Emulator) getPolicy(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.teamsAuth(r, false)
	if err != nil {
		return err
	}
	p, err := e.visiblePolicy(t, r.PathValue("identity"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, policyJSON(p))
	return nil
}

func (e *Emulator) createPolicy(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.teamsAuth(r, false)
	if err != nil {
		return err
	}
	var b policyBody
	if err := decodeJSON(r, &b); err != nil {
		return teamsErr(http.StatusBadRequest, "BadRequest", err.Error())
	}
	id := policyIdentity(b.Identity)
	if id == "" || strings.EqualFold(id, "Global") || id == "Tag:" {
		return teamsErr(http.StatusBadRequest, "BadRequest", "Identity is required and cannot be Global.")
	}
	if e.faults.take(r.URL.Path, FaultPolicyRace) != nil {
		return raceError(e.newestInstanceID(t))
	}
	if t.Policies[id] != nil {
		return teamsErr(http.StatusConflict, "Conflict", "A policy with identity '"+id+"' already exists.")
	}
	p := &recordingPolicy{Identity: id, WarnUserOnRemoval: true, Created: e.clock.Now()}
	if err := e.applyPolicyBody(t, p, &b); err != nil {
		return err
	}
	t.Policies[id] = p
	writeJSON(w, http.StatusCreated, policyJSON(p))
	return nil
}

// newestInstanceID names an instance for the scripted race's message.
func (e *Emulator) newestInstanceID(t *tenant) string {
	var newest *appInstance
	for _, in := range t.Instances {
		if newest == nil || in.Created.After(newest.Created) {
			newest = in
		}
	}
	if newest == nil {
		return "(unknown)"
	}
	return newest.ObjectID
}

func (e *Emulator) applyPolicyBody(t *tenant, p *recordingPolicy, b *policyBody) error {
	if b.ComplianceRecordingApplications != nil {
		apps := []*recordingApp{}
		for _, ab := range b.ComplianceRecordingApplications {
			a, err := e.buildApp(t, ab)
			if err != nil {
				return err
			}
			if slices.ContainsFunc(apps, func(x *recordingApp) bool { return x.ID == a.ID }) {
				return teamsErr(http.StatusBadRequest, "BadRequest", "Application '"+a.ID+"' is listed twice.")
			}
			apps = append(apps, a)
		}
		p.Applications = apps
	}
	setBool(&p.Enabled, b.Enabled)
	setBool(&p.WarnUserOnRemoval, b.WarnUserOnRemoval)
	setBool(&p.DisableAudioNotification, b.DisableComplianceRecordingAudioNotificationForCalls)
	setBool(&p.RecordReroutedCalls, b.RecordReroutedCalls)
	if b.Description != nil {
		p.Description = *b.Description
	}
	if b.CustomBanner != nil {
		p.CustomBanner = *b.CustomBanner
	}
	return nil
}

func setBool(dst *bool, src *bool) {
	if src != nil {
		*dst = *src
	}
}

func (e *Emulator) updatePolicy(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.teamsAuth(r, false)
	if err != nil {
		return err
	}
	p, err := e.visiblePolicy(t, r.PathValue("identity"))
	if err != nil {
		return err
	}
	var b policyBody
	if err := decodeJSON(r, &b); err != nil {
		return teamsErr(http.StatusBadRequest, "BadRequest", err.Error())
	}
	if err := e.applyPolicyBody(t, p, &b); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, policyJSON(p))
	return nil
}

func (e *Emulator) deletePolicy(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.teamsAuth(r, false)
	if err != nil {
		return err
	}
	p, err := e.visiblePolicy(t, r.PathValue("identity"))
	if err != nil {
		return err
	}
	if p.Identity == "Global" {
		return teamsErr(http.StatusBadRequest, "BadRequest", "The Global policy cannot be removed.")
	}
	for _, a := range t.GroupAssignments {
		if a.PolicyName == p.Identity {
			return teamsErr(http.StatusConflict, "Conflict", "Policy '"+p.Identity+"' is assigned to group "+a.GroupID+"; remove the group policy assignment first.")
		}
	}
	delete(t.Policies, p.Identity)
	for uid, name := range t.UserPolicies {
		if name == p.Identity {
			delete(t.UserPolicies, uid)
		}
	}
	if t.GlobalPolicy == p.Identity {
		t.GlobalPolicy = ""
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
