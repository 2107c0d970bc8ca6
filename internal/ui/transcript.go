package ui

import (
	"errors"
	"net/http"

	"callrec/internal/principal"
	"callrec/internal/recordings"
	"callrec/internal/transcripts"
)

// transcriptLine is one line of the transcript as the call page shows it.
type transcriptLine struct {
	transcripts.LineView
	At  string // m:ss
	Who string
}

// transcriptView is the call page's transcript card.
type transcriptView struct {
	transcripts.View
	Rows []transcriptLine
}

// transcript loads the call's transcript for the call page.
func (h *Handler) transcript(r *http.Request, p *principal.Principal, d recordings.Detail) (*transcriptView, error) {
	if h.Transcripts == nil || !d.Recorded {
		return nil, nil
	}
	tv, err := h.Transcripts.Get(r.Context(), p, d.ID)
	if err != nil {
		return nil, transcriptErr(err)
	}
	agent := d.UserName
	if agent == "" {
		agent = "Recorded user"
	}
	v := &transcriptView{View: tv}
	for _, l := range tv.Lines {
		who := "Other party"
		if l.Channel == "agent" {
			who = agent
		}
		v.Rows = append(v.Rows, transcriptLine{LineView: l, At: clock(l.StartMS), Who: who})
	}
	return v, nil
}

func transcriptErr(err error) error {
	if errors.Is(err, transcripts.ErrNotFound) {
		return workspaceErr(recordings.ErrNotFound)
	}
	if errors.Is(err, transcripts.ErrForbidden) {
		return workspaceErr(recordings.ErrForbidden)
	}
	return err
}

func (h *Handler) rerunTranscript(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	id := r.PathValue("id")
	if h.Transcripts == nil {
		return workspaceErr(recordings.ErrNotFound)
	}
	err := h.Transcripts.Rerun(r.Context(), p, id)
	var msg string
	switch {
	case errors.Is(err, transcripts.ErrNoLicense):
		msg = "The recorded user has no speech analytics license: assign one under Administration > Users to transcribe their calls."
	case errors.Is(err, transcripts.ErrNotConfigured):
		msg = "No speech engine is configured: the service provider sets one up."
	case errors.Is(err, transcripts.ErrNotStored):
		msg = "The recording is not stored yet: it is transcribed once it is."
	case err != nil:
		return transcriptErr(err)
	}
	if msg != "" {
		return h.showRecording(w, r, p, http.StatusConflict, msg)
	}
	http.Redirect(w, r, "/recordings/"+id+"?done=transcript", http.StatusSeeOther)
	return nil
}
