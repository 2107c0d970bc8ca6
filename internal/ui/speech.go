package ui

import (
	"errors"
	"net/http"

	"callrec/internal/principal"
	"callrec/internal/transcripts"
	"callrec/internal/validate"
)

// speechView is Service provider > Speech analytics.
type speechView struct {
	Settings transcripts.Settings
	Form     transcripts.SettingsInput
	Errors   map[string]string
}

func (h *Handler) speechPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	s, err := h.Transcripts.GetSettings(r.Context(), p)
	if err != nil {
		return transcriptErr(err)
	}
	h.adminView(w, r, http.StatusOK, "speech", "Speech analytics", "speech",
		speechView{Settings: s, Form: transcripts.SettingsInput{Engine: s.Engine, URL: s.URL, Model: s.Model}}, "")
	return nil
}

// saveSpeech stores the engine choice; the key field is never filled back
// in, and left empty it keeps the stored key.
func (h *Handler) saveSpeech(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	f := r.PostForm
	in := transcripts.SettingsInput{Engine: f.Get("engine"), URL: f.Get("url"), Model: f.Get("model"), Key: f.Get("key"),
		ClearKey: formBool(r, "clear_key")}
	err := h.Transcripts.SaveSettings(r.Context(), p, in)
	var errs validate.Errors
	if errors.As(err, &errs) {
		s, gerr := h.Transcripts.GetSettings(r.Context(), p)
		if gerr != nil {
			return transcriptErr(gerr)
		}
		in.Key = ""
		h.adminView(w, r, http.StatusBadRequest, "speech", "Speech analytics", "speech", speechView{Settings: s, Form: in, Errors: errs},
			"The settings were not saved: check the marked fields.")
		return nil
	}
	if err != nil {
		return transcriptErr(err)
	}
	h.redirectFlash(w, r, "/admin/provider/speech", "speech_saved")
	return nil
}
