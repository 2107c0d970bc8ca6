package ui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"callrec/internal/evaluations"
	"callrec/internal/principal"
	"callrec/internal/recordings"
	"callrec/internal/roles"
	"callrec/internal/store"
	"callrec/internal/validate"
)

// pauseMark is a paused span placed on the player's timeline.
type pauseMark struct {
	store.CallPause
	From, To string
	Running  bool
	OnDemand bool // the span before an on-demand call was started
}

// partRow is a participant as the call page lists them.
type partRow struct {
	store.CallParticipant
	Identities string // every nameID, comma-separated
	OnCall     string // e.g. "0:00 – 1:12", "from 0:40"
}

// streamRow is a recorded stream as the call page lists it.
type streamRow struct {
	store.CallStream
	Sender string
	States string // "sendonly 0:00 · inactive 0:42"
}

// changeRow is a change of the call's metadata, on the call's clock.
type changeRow struct {
	At   string
	Text string
}

// recordingView is the call page.
type recordingView struct {
	recordings.Detail
	Started, Ended string
	Expires        string
	Duration       string
	Zone           string
	Pauses         []pauseMark
	NoteClock      map[string]string
	CanPlay        bool
	CanDownload    bool
	CanAnnotate    bool
	CanConfid      bool
	CanDelete      bool
	CanPause       bool
	CanListen      bool
	Paused         bool
	OnDemand       bool // paused since the start by an on-demand rule
	Playable       bool
	From, To       string
	Parts          []partRow
	Streams        []streamRow
	Changes        []changeRow
	DirLabel       string
	ElapsedMS      int64      // a live call's duration so far
	Eval           *evalPanel // evaluations beside the player (nil: not for this role)
	// Transcript is the call's transcript or why there is none (nil: no
	// speech analytics on this node).
	Transcript *transcriptView
	// Insights is the call's analysis (nil: none).
	Insights *callInsights
}

func (h *Handler) recordingPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	return h.showRecording(w, r, p, http.StatusOK, "")
}

func (h *Handler) showRecording(w http.ResponseWriter, r *http.Request, p *principal.Principal, status int, msg string) error {
	return h.showRecordingWith(w, r, p, status, msg, nil)
}

// showRecordingWith shows the call page; posted is an evaluation that was
// refused, shown again in the evaluation panel.
func (h *Handler) showRecordingWith(w http.ResponseWriter, r *http.Request, p *principal.Principal, status int, msg string, posted *evaluations.Input) error {
	svc := h.Calls
	d, err := svc.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return workspaceErr(err)
	}
	loc := svc.Location(r.Context(), p)
	const layout = "Mon 2 Jan 2006, 15:04:05"
	v := recordingView{Detail: d, Started: d.StartedAt.In(loc).Format(layout), Duration: clock(d.DurationMS), Zone: loc.String(),
		NoteClock: map[string]string{}, CanPlay: p.Can(roles.RecordingsPlay), CanDownload: p.Can(roles.RecordingsDownload),
		CanAnnotate: p.Can(roles.RecordingsAnnotate), CanConfid: p.Can(roles.RecordingsConfid), CanDelete: p.Can(roles.RecordingsDelete),
		CanPause: p.Can(roles.PauseResume) && d.State == store.CallActive, Playable: d.Recorded && d.State != store.CallActive,
		CanListen: p.Can(roles.LiveMonitor) && d.State == store.CallActive && d.Recorded,
		DirLabel:  dirLabels[d.Direction]}
	v.From, v.To = party(d.PartyAName, d.PartyA), party(d.PartyBName, d.PartyB)
	if v.From == "" && v.To == "" {
		v.From, v.To = party("", d.Caller), party("", d.Callee)
	}
	if d.State == store.CallActive {
		v.ElapsedMS = max(0, h.now().Sub(d.StartedAt).Milliseconds())
		v.Duration = clock(v.ElapsedMS)
	}
	if d.EndedAt != nil {
		v.Ended = d.EndedAt.In(loc).Format(layout)
	}
	if d.ExpiresAt != nil {
		v.Expires = d.ExpiresAt.In(loc).Format("2 Jan 2006")
	}
	for _, ps := range d.Pauses {
		m := pauseMark{CallPause: ps, From: clock(ps.StartMS), Running: ps.EndMS == nil, OnDemand: ps.PausedBy == store.OnDemandPause}
		if ps.EndMS != nil {
			m.To = clock(*ps.EndMS)
		}
		v.Paused = v.Paused || m.Running
		v.OnDemand = v.OnDemand || m.Running && m.OnDemand
		v.Pauses = append(v.Pauses, m)
	}
	for _, n := range d.Notes {
		v.NoteClock[n.ID] = clock(n.OffsetMS)
	}
	v.Parts, v.Streams, v.Changes = siprecRows(d)
	if v.Transcript, err = h.transcript(r, p, d); err != nil {
		return err
	}
	if v.Insights, err = h.callAnalytics(r, p, d.ID); err != nil {
		return err
	}
	if v.Eval, err = h.evalPanel(r, p, d, posted); err != nil {
		return err
	}
	if v.Transcript, err = h.transcript(r, p, d); err != nil {
		return err
	}
	title := v.From + " → " + v.To
	h.render(w, r, status, "recording", view{Title: "Call " + title, Nav: "recordings", Data: v, Error: msg, Flash: doneMessage(r)})
	return nil
}

// parseClock reads "m:ss", "h:mm:ss" or plain seconds as milliseconds.
func parseClock(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, true
	}
	var total float64
	for _, part := range strings.Split(s, ":") {
		n, err := strconv.ParseFloat(part, 64)
		if err != nil || n < 0 {
			return 0, false
		}
		total = total*60 + n
	}
	return int64(total * 1000), true
}

func (h *Handler) addNote(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	id := r.PathValue("id")
	at, ok := parseClock(r.PostFormValue("at"))
	if !ok {
		return h.showRecording(w, r, p, http.StatusBadRequest, "“At” is not a time in the call: write it as m:ss.")
	}
	_, err := h.Calls.AddNote(r.Context(), p, id, at, r.PostFormValue("body"))
	var verrs validate.Errors
	if errors.As(err, &verrs) {
		msg := "The note was not saved: "
		for f, why := range verrs {
			msg += f + " — " + why + ". "
		}
		return h.showRecording(w, r, p, http.StatusBadRequest, msg)
	}
	if err != nil {
		return workspaceErr(err)
	}
	http.Redirect(w, r, "/recordings/"+id+"?done=note_added#notes", http.StatusSeeOther)
	return nil
}

func (h *Handler) deleteNote(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	id := r.PathValue("id")
	if err := h.Calls.DeleteNote(r.Context(), p, id, r.PathValue("note_id")); err != nil {
		return workspaceErr(err)
	}
	http.Redirect(w, r, "/recordings/"+id+"?done=note_deleted#notes", http.StatusSeeOther)
	return nil
}

func (h *Handler) setConfidential(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	id := r.PathValue("id")
	on := r.PostFormValue("confidential") == "true"
	if _, err := h.Calls.SetConfidential(r.Context(), p, id, on); err != nil {
		return workspaceErr(err)
	}
	done := "unconfidential"
	if on {
		done = "confidential"
	}
	http.Redirect(w, r, "/recordings/"+id+"?done="+done, http.StatusSeeOther)
	return nil
}

func (h *Handler) deleteRecording(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	err := h.Calls.Delete(r.Context(), p, r.PathValue("id"))
	if errors.Is(err, recordings.ErrActive) {
		return h.showRecording(w, r, p, http.StatusConflict, "The call is still in progress: it can be deleted once it ends.")
	}
	if err != nil {
		return workspaceErr(err)
	}
	http.Redirect(w, r, "/recordings?done=deleted", http.StatusSeeOther)
	return nil
}

func (h *Handler) pauseRecording(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	id := r.PathValue("id")
	svc := h.Calls
	var err error
	if strings.HasSuffix(r.URL.Path, "/pause") {
		_, err = svc.Pause(r.Context(), p, id)
	} else {
		_, err = svc.Resume(r.Context(), p, id)
	}
	switch {
	case errors.Is(err, recordings.ErrNotActive), errors.Is(err, recordings.ErrPaused), errors.Is(err, recordings.ErrNotPaused):
		return h.showRecording(w, r, p, http.StatusConflict, "Nothing changed: the call has ended or is already in that state.")
	case err != nil:
		return workspaceErr(err)
	}
	http.Redirect(w, r, "/recordings/"+id, http.StatusSeeOther)
	return nil
}

// doneMessage confirms the action a redirect names in ?done=.
func doneMessage(r *http.Request) string {
	switch r.URL.Query().Get("done") {
	case "note_added":
		return "Note added."
	case "note_deleted":
		return "Note deleted."
	case "confidential":
		return "The call is marked confidential: only people allowed to see confidential calls can find it."
	case "transcript":
		return "The call is queued to be transcribed again; the transcript below is replaced when the new one is ready."
	case "unconfidential":
		return "The call is no longer confidential."
	case "deleted":
		return "The recording was deleted, its audio with it."
	}
	return ""
}

// siprecRows lays out what the SIPREC session said for the call page:
// who was on the call when, with every identity, and each stream with its
// sender and states.
func siprecRows(d recordings.Detail) ([]partRow, []streamRow, []changeRow) {
	names := map[string]string{}
	var parts []partRow
	for _, p := range d.Participants {
		row := partRow{CallParticipant: p, Identities: strings.Join(p.AORs, ", ")}
		if row.Identities == "" {
			row.Identities = p.AOR
		}
		switch {
		case p.LeftMS != nil:
			row.OnCall = clock(p.JoinedMS) + " – " + clock(*p.LeftMS)
		case p.JoinedMS > 0:
			row.OnCall = "from " + clock(p.JoinedMS)
		default:
			row.OnCall = "whole call"
		}
		names[p.ParticipantID] = party(p.Name, p.AOR)
		parts = append(parts, row)
	}
	if d.SIPREC == nil {
		return parts, nil, nil
	}
	var streams []streamRow
	for _, s := range d.SIPREC.Streams {
		row := streamRow{CallStream: s, Sender: names[s.ParticipantID]}
		var states []string
		for _, st := range s.States {
			states = append(states, st.State+" "+clock(st.AtMS))
		}
		row.States = strings.Join(states, " · ")
		streams = append(streams, row)
	}
	var changes []changeRow
	for _, c := range d.SIPREC.Changes {
		text := c.Detail
		switch c.Kind {
		case "joined":
			text = text + " joined"
		case "left":
			text = text + " left"
		case "renamed":
			text = "renamed " + text
		case "identities":
			text = names[c.ParticipantID] + ": also " + text
		}
		changes = append(changes, changeRow{At: clock(c.AtMS), Text: text})
	}
	return parts, streams, changes
}
