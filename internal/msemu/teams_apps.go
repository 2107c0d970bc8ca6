package msemu

import (
	"net/http"
	"slices"
	"strings"
)

// createRecordingApp is New-CsTeamsComplianceRecordingApplication: the
// documented way to attach an application to a policy and read it back.
func (e *Emulator) createRecordingApp(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.teamsAuth(r, false)
	if err != nil {
		return err
	}
	var b appBody
	if err := decodeJSON(r, &b); err != nil {
		return teamsErr(http.StatusBadRequest, "BadRequest", err.Error())
	}
	if b.Parent == "" || b.ID == "" {
		return teamsErr(http.StatusBadRequest, "BadRequest", "Parent and Id are required.")
	}
	p, err := e.visiblePolicy(t, b.Parent)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(p.Applications, func(a *recordingApp) bool { return a.ID == b.ID }) {
		return teamsErr(http.StatusConflict, "Conflict", "Application '"+b.ID+"' is already part of policy '"+p.Identity+"'.")
	}
	a, err := e.buildApp(t, b)
	if err != nil {
		return err
	}
	p.Applications = append(p.Applications, a)
	writeJSON(w, http.StatusCreated, appJSON(p.Identity, a))
	return nil
}

// findRecordingApp resolves an application identity "Tag:P/{instanceId}".
func (e *Emulator) findRecordingApp(t *tenant, identity string) (*recordingPolicy, int, error) {
	parent, id, ok := strings.Cut(identity, "/")
	if !ok {
		return nil, 0, teamsErr(http.StatusBadRequest, "BadRequest", "Identity must be '<policy>/<application instance id>'.")
	}
	p, err := e.visiblePolicy(t, parent)
	if err != nil {
		return nil, 0, err
	}
	i := slices.IndexFunc(p.Applications, func(a *recordingApp) bool { return a.ID == id })
	if i < 0 {
		return nil, 0, teamsErr(http.StatusNotFound, "NotFound", "Compliance recording application '"+identity+"' was not found.")
	}
	return p, i, nil
}

func (e *Emulator) deleteRecordingApp(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.teamsAuth(r, false)
	if err != nil {
		return err
	}
	p, i, err := e.findRecordingApp(t, r.PathValue("identity"))
	if err != nil {
		return err
	}
	p.Applications = slices.Delete(p.Applications, i, i+1)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
