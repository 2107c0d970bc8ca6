package api

import (
	"net/http"
	"time"

	"callrec/internal/principal"
	"callrec/internal/recordings"
)

// dashboard answers ?from=YYYY-MM-DD&to=YYYY-MM-DD (to inclusive, dates in
// the viewer's zone; default the last 7 days), group_id and user_id, with
// the figures of the range, of the period before it, and calls per day.
func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	svc := h.workspace()
	q := r.URL.Query()
	from, to, _, err := h.period(r, p)
	if err != nil {
		return err
	}
	d, err := svc.Dashboard(r.Context(), p, recordings.DashboardQuery{From: from, To: to, GroupID: q.Get("group_id"), UserID: q.Get("user_id")})
	if err != nil {
		return workspaceErr(err)
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (h *Handler) storageUse(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	use, err := h.workspace().Storage(r.Context(), p)
	if err != nil {
		return workspaceErr(err)
	}
	writeJSON(w, http.StatusOK, use)
	return nil
}

func (h *Handler) getRecordingSettings(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	secs, err := h.workspace().AutoResumeAfter(r.Context(), p)
	if err != nil {
		return workspaceErr(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"auto_resume_seconds": secs})
	return nil
}

func (h *Handler) putRecordingSettings(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var body struct {
		AutoResumeSeconds *int `json:"auto_resume_seconds"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.AutoResumeSeconds == nil {
		return validationFailed(map[string]string{"auto_resume_seconds": "seconds from 0 (never) to 86400"})
	}
	if err := h.workspace().SetAutoResume(r.Context(), p, *body.AutoResumeSeconds); err != nil {
		return workspaceErr(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"auto_resume_seconds": *body.AutoResumeSeconds})
	return nil
}

// period reads ?from=YYYY-MM-DD&to=YYYY-MM-DD (to inclusive, dates in the
// viewer's zone; default the last 7 days) as the dashboard and the
// insights take them: from is the first instant, to the first after.
func (h *Handler) period(r *http.Request, p *principal.Principal) (from, to time.Time, loc *time.Location, err error) {
	svc := h.workspace()
	loc = svc.Location(r.Context(), p)
	q := r.URL.Query()
	from, to = svc.Range("last7", loc)
	fields := map[string]string{}
	if v := q.Get("from"); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			fields["from"] = "a date (YYYY-MM-DD)"
		}
		from = t
	}
	if v := q.Get("to"); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			fields["to"] = "a date (YYYY-MM-DD)"
		}
		to = t.AddDate(0, 0, 1)
	}
	if len(fields) > 0 {
		return from, to, loc, validationFailed(fields)
	}
	return from, to, loc, nil
}
