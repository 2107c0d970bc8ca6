package api

import (
	"errors"
	"net/http"

	"callrec/internal/principal"
	"callrec/internal/roles"
	"callrec/internal/transcripts"
)

// registerTranscripts lists speech analytics: a call's transcript and its
// re-run, and the provider's engine settings — the same service as the
// call page and Service provider > Speech analytics.
func (h *Handler) registerTranscripts(mux *http.ServeMux) {
	if h.Transcripts == nil {
		return
	}
	h.route(mux, "GET /api/v1/calls/{id}/transcript", access{rule: roles.ViewCalls, tenant: true}, h.getTranscript)
	h.route(mux, "POST /api/v1/calls/{id}/transcript", access{perm: roles.RecordingsAnnotate, tenant: true}, h.rerunTranscript)
	h.route(mux, "GET /api/v1/provider/speech", access{perm: roles.TenantsManage}, h.getSpeechSettings)
	h.route(mux, "PUT /api/v1/provider/speech", access{perm: roles.TenantsManage}, h.putSpeechSettings)
}

var (
	errNoSpeechLicense = &Error{http.StatusConflict, "license_unavailable", "the recorded user has no speech analytics license", nil, 0}
	errNotStored       = &Error{http.StatusConflict, "not_stored", "the recording is not stored yet", nil, 0}
	errNoEngine        = &Error{http.StatusConflict, "engine_not_configured", "no speech engine is configured: the provider sets one up", nil, 0}
)

func transcriptErr(err error) error {
	switch {
	case errors.Is(err, transcripts.ErrNotFound):
		return errNotFound
	case errors.Is(err, transcripts.ErrForbidden):
		return errForbidden
	case errors.Is(err, transcripts.ErrNoLicense):
		return errNoSpeechLicense
	case errors.Is(err, transcripts.ErrNotStored):
		return errNotStored
	case errors.Is(err, transcripts.ErrNotConfigured):
		return errNoEngine
	}
	return workspaceErr(err)
}

func (h *Handler) getTranscript(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	v, err := h.Transcripts.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return transcriptErr(err)
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (h *Handler) rerunTranscript(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	if err := h.Transcripts.Rerun(r.Context(), p, r.PathValue("id")); err != nil {
		return transcriptErr(err)
	}
	v, err := h.Transcripts.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return transcriptErr(err)
	}
	writeJSON(w, http.StatusAccepted, v)
	return nil
}

func (h *Handler) getSpeechSettings(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	s, err := h.Transcripts.GetSettings(r.Context(), p)
	if err != nil {
		return transcriptErr(err)
	}
	writeJSON(w, http.StatusOK, s)
	return nil
}

func (h *Handler) putSpeechSettings(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var in transcripts.SettingsInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := h.Transcripts.SaveSettings(r.Context(), p, in); err != nil {
		return transcriptErr(err)
	}
	return h.getSpeechSettings(w, r, p)
}
