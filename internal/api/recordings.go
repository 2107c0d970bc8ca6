package api

import (
	"errors"
	"net/http"
	"time"

	"callrec/internal/principal"
	"callrec/internal/recordings"
	"callrec/internal/roles"
	"callrec/internal/store"
)

// registerWorkspace lists the Recordings workspace's routes: search and
// export, a call's detail, notes, confidentiality, deletion, pause and
// resume, the dashboard and storage use.
func (h *Handler) registerWorkspace(mux *http.ServeMux) {
	view := access{rule: roles.ViewCalls, tenant: true}
	with := func(p roles.Permission) access { return access{perm: p, tenant: true} }
	h.route(mux, "GET /api/v1/recordings", view, h.searchRecordings)
	h.route(mux, "GET /api/v1/recordings/export", view, h.exportRecordings)
	h.route(mux, "GET /api/v1/calls/export", view, h.exportRecordings)
	h.route(mux, "GET /api/v1/recordings/{id}", view, h.getRecording)
	h.route(mux, "DELETE /api/v1/calls/{id}", with(roles.RecordingsDelete), h.deleteRecording)
	h.route(mux, "PUT /api/v1/calls/{id}/confidential", with(roles.RecordingsConfid), h.setConfidential)
	h.route(mux, "POST /api/v1/calls/{id}/notes", with(roles.RecordingsAnnotate), h.addNote)
	h.route(mux, "DELETE /api/v1/calls/{id}/notes/{note_id}", with(roles.RecordingsAnnotate), h.deleteNote)
	h.route(mux, "POST /api/v1/calls/{id}/pause", with(roles.PauseResume), h.pauseCall)
	h.route(mux, "POST /api/v1/calls/{id}/resume", with(roles.PauseResume), h.resumeCall)
	h.route(mux, "GET /api/v1/dashboard", access{perm: roles.Reports, tenant: true}, h.dashboard)
	h.route(mux, "GET /api/v1/storage", access{perm: roles.SettingsManage, tenant: true}, h.storageUse)
	h.route(mux, "GET /api/v1/recording-settings", access{perm: roles.SettingsManage, tenant: true}, h.getRecordingSettings)
	h.route(mux, "PUT /api/v1/recording-settings", access{perm: roles.SettingsManage, tenant: true}, h.putRecordingSettings)
}

// workspace is the recordings service the handler was given.
func (h *Handler) workspace() *recordings.Service { return h.Calls }

var (
	errCallActive = &Error{http.StatusConflict, "call_active", "the call is still in progress: wait until it ends", nil, 0}
	errNotActive  = &Error{http.StatusConflict, "call_not_active", "the call has ended: only a call in progress can be paused or resumed", nil, 0}
	errPaused     = &Error{http.StatusConflict, "already_paused", "the recording is already paused", nil, 0}
	errNotPaused  = &Error{http.StatusConflict, "not_paused", "the recording is not paused", nil, 0}
	errRange      = validationFailed(map[string]string{"to": "after from, at most a year later"})
)

// workspaceErr maps the recordings service's sentinels to API errors.
func workspaceErr(err error) error {
	switch {
	case errors.Is(err, recordings.ErrForbidden):
		return errForbidden
	case errors.Is(err, recordings.ErrNotFound):
		return errNotFound
	case errors.Is(err, recordings.ErrActive):
		return errCallActive
	case errors.Is(err, recordings.ErrNotActive):
		return errNotActive
	case errors.Is(err, recordings.ErrPaused):
		return errPaused
	case errors.Is(err, recordings.ErrNotPaused):
		return errNotPaused
	case errors.Is(err, recordings.ErrRange):
		return errRange
	}
	return err
}

func (h *Handler) recordingFilter(r *http.Request, p *principal.Principal) (store.RecordingFilter, *time.Location, error) {
	svc := h.workspace()
	loc := svc.Location(r.Context(), p)
	f, errs := svc.Filter(r.URL.Query(), loc)
	if len(errs) > 0 {
		return f, loc, validationFailed(errs)
	}
	return f, loc, nil
}

func (h *Handler) searchRecordings(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	f, _, err := h.recordingFilter(r, p)
	if err != nil {
		return err
	}
	items, next, err := h.workspace().List(r.Context(), p, f)
	if err != nil {
		return workspaceErr(err)
	}
	writeJSON(w, http.StatusOK, pageOf(items, next, recordingJSON))
	return nil
}

func (h *Handler) exportRecordings(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	f, loc, err := h.recordingFilter(r, p)
	if err != nil {
		return err
	}
	svc := h.workspace()
	if _, err := svc.ScopeOf(r.Context(), p); err != nil {
		return workspaceErr(err)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="recordings.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	if err := svc.ExportCSV(r.Context(), w, p, f, loc); err != nil {
		h.Log.Error("api: export recordings", "err", err)
	}
	return nil
}

func (h *Handler) getRecording(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	d, err := h.workspace().Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return workspaceErr(err)
	}
	writeJSON(w, http.StatusOK, detailJSON(d))
	return nil
}

func (h *Handler) deleteRecording(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	if err := h.workspace().Delete(r.Context(), p, r.PathValue("id")); err != nil {
		return workspaceErr(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) setConfidential(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var body struct {
		Confidential *bool `json:"confidential"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.Confidential == nil {
		return validationFailed(map[string]string{"confidential": "true or false"})
	}
	d, err := h.workspace().SetConfidential(r.Context(), p, r.PathValue("id"), *body.Confidential)
	if err != nil {
		return workspaceErr(err)
	}
	writeJSON(w, http.StatusOK, detailJSON(d))
	return nil
}

func (h *Handler) addNote(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var body struct {
		OffsetMS int64  `json:"offset_ms"`
		Body     string `json:"body"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	n, err := h.workspace().AddNote(r.Context(), p, r.PathValue("id"), body.OffsetMS, body.Body)
	if err != nil {
		return workspaceErr(err)
	}
	writeJSON(w, http.StatusCreated, noteJSON(n))
	return nil
}

func (h *Handler) deleteNote(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	if err := h.workspace().DeleteNote(r.Context(), p, r.PathValue("id"), r.PathValue("note_id")); err != nil {
		return workspaceErr(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) pauseCall(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	d, err := h.workspace().Pause(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return workspaceErr(err)
	}
	writeJSON(w, http.StatusOK, detailJSON(d))
	return nil
}

func (h *Handler) resumeCall(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	d, err := h.workspace().Resume(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return workspaceErr(err)
	}
	writeJSON(w, http.StatusOK, detailJSON(d))
	return nil
}

// auditPlayback checks the permission for a call's audio and audits it
// (recordings.Service.Playback). Playing is what the portal's player does:
// a signed-in browser session fetching the audio from a page of this site
// (Sec-Fetch-Site same-origin, not a navigation). Anything else — an API
// client, the URL opened or saved from the address bar, ?download=1, a
// client that sends no Fetch Metadata — is a download and needs
// recordings.download.
func (h *Handler) auditPlayback(r *http.Request, p *principal.Principal, c store.Call) error {
	player := p.Session != nil && r.Header.Get("Sec-Fetch-Site") == "same-origin" &&
		r.Header.Get("Sec-Fetch-Mode") != "navigate" && r.Header.Get("Sec-Fetch-Dest") != "document"
	download := r.URL.Query().Get("download") == "1" || !player
	return workspaceErr(h.workspace().Playback(r.Context(), p, c, download))
}
