package ui

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"callrec/internal/httpserver"
	"callrec/internal/principal"
	"callrec/internal/recordings"
	"callrec/internal/store"
)

// workspaceErr maps the service's sentinels to pages.
func workspaceErr(err error) error {
	if errors.Is(err, store.ErrBadCursor) {
		return errNotFound
	}
	return serviceErr(err)
}

// recRow is one line of the Recordings table.
type recRow struct {
	store.Recording
	Date, Time string
	Duration   string
	StateLabel string
	DirLabel   string
	From, To   string // the parties, as numbers or names
	ElapsedMS  int64  // a live call's duration so far
}

// party shows a participant once, by name and number (sip:+1555…@host →
// +1555…): a number equal to the name is not repeated, and an address that
// is no number (a Teams user's id) is left to the call page's
// participants table.
func party(name, aor string) string {
	n := strings.TrimPrefix(strings.TrimPrefix(aor, "sip:"), "tel:")
	if i := strings.IndexByte(n, '@'); i > 0 {
		n = n[:i]
	}
	if name != "" && !isNumber(n) {
		n = ""
	}
	switch {
	case name != "" && n != "" && name != n:
		return name + " " + n
	case name != "":
		return name
	}
	return n
}

// isNumber reports whether s dials: a phone number or an extension.
func isNumber(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if s == "" {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && r != '*' && r != '#' && r != '-' && r != ' ' {
			return false
		}
	}
	return true
}

var stateLabels = map[string]string{store.CallActive: "Live", store.CallCompleted: "Completed", store.CallInterrupted: "Interrupted", store.CallFailed: "Failed"}

var dirLabels = map[string]string{"inbound": "Inbound", "outbound": "Outbound", "internal": "Internal"}

// stateOptions are the State filter's choices.
func stateOptions() []option {
	out := make([]option, 0, len(recordings.States))
	for _, s := range recordings.States {
		out = append(out, option{s, stateLabels[s]})
	}
	return out
}

// recordingsView is the Recordings page.
type recordingsView struct {
	Rows      []recRow
	Q         url.Values
	Users     []recordings.Choice
	Groups    []recordings.Choice
	Presets   any
	States    []option
	Zone      string
	Filtered  bool
	NextURL   template.URL
	FirstURL  template.URL
	ExportURL template.URL
	SortStart template.URL
	SortDur   template.URL
	Sort      string
	Asc       bool
	Errors    map[string]string
	Paged     bool
}

func (h *Handler) recordingsPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	svc := h.Calls
	ctx := r.Context()
	loc := svc.Location(ctx, p)
	q := r.URL.Query()
	if q.Get("preset") == "" && q.Get("from") == "" && q.Get("to") == "" && q.Get("range") == "" {
		q.Set("preset", "last30")
	}
	if q.Get("preset") == "custom" || q.Get("range") == "custom" {
		q.Del("preset")
	}
	f, errs := svc.Filter(q, loc)
	v := recordingsView{Q: q, Presets: recordings.Presets, States: stateOptions(), Zone: loc.String(), Errors: errs,
		Sort: f.Sort, Asc: f.Asc, Paged: f.Cursor != ""}
	if len(errs) > 0 {
		f, _ = svc.Filter(url.Values{"preset": {"last30"}}, loc)
	}
	f.Limit = 50
	recs, next, err := svc.List(ctx, p, f)
	if err != nil {
		return workspaceErr(err)
	}
	for _, rec := range recs {
		t := rec.StartedAt.In(loc)
		row := recRow{Recording: rec, Date: t.Format("Mon 2 Jan 2006"), Time: t.Format("15:04:05"), Duration: clock(rec.DurationMS),
			StateLabel: stateLabels[rec.State], DirLabel: dirLabels[rec.Direction],
			From: party(rec.PartyAName, rec.PartyA), To: party(rec.PartyBName, rec.PartyB)}
		if row.From == "" && row.To == "" {
			row.From, row.To = party("", rec.Caller), party("", rec.Callee)
		}
		if rec.State == store.CallActive {
			row.ElapsedMS = max(0, h.now().Sub(rec.StartedAt).Milliseconds())
			row.Duration = clock(row.ElapsedMS)
		}
		v.Rows = append(v.Rows, row)
	}
	if q.Get("partial") == "rows" {
		return h.renderRows(w, v)
	}
	if v.Users, v.Groups, err = svc.FilterChoices(ctx, p); err != nil {
		return err
	}
	base := url.Values{}
	for k, vals := range q {
		if k != "cursor" && k != "partial" && k != "done" {
			base[k] = vals
		}
	}
	for _, k := range []string{"user_id", "group_id", "direction", "state", "min_duration", "max_duration", "q", "external_call_id", "unassigned"} {
		v.Filtered = v.Filtered || base.Get(k) != ""
	}
	if next != "" {
		v.NextURL = withQuery("/recordings", base, "cursor", next)
	}
	v.FirstURL = withQuery("/recordings", base, "", "")
	v.ExportURL = withQuery("/recordings/export", base, "", "")
	v.SortStart = sortURL(base, store.SortStarted, f)
	v.SortDur = sortURL(base, store.SortDuration, f)
	h.render(w, r, http.StatusOK, "recordings", view{Title: "Recordings", Nav: "recordings", Data: v, Flash: doneMessage(r)})
	return nil
}

// sortURL sorts by col, flipping the order when it is already the sort.
func sortURL(base url.Values, col string, f store.RecordingFilter) template.URL {
	c := url.Values{}
	for k, v := range base {
		c[k] = v
	}
	c.Set("sort", col)
	cur := f.Sort
	if cur == "" {
		cur = store.SortStarted
	}
	if cur == col && !f.Asc {
		c.Set("order", "asc")
	} else {
		c.Del("order")
	}
	return withQuery("/recordings", c, "", "")
}

// renderRows writes only the table body: recordings.js asks for it when a
// call starts or ends, so the list updates without a reload.
func (h *Handler) renderRows(w http.ResponseWriter, v recordingsView) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return h.pages["recordings"].ExecuteTemplate(w, "recording-rows", v)
}

func (h *Handler) recordingsExport(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	svc := h.Calls
	loc := svc.Location(r.Context(), p)
	f, errs := svc.Filter(r.URL.Query(), loc)
	if len(errs) > 0 {
		return errBadForm
	}
	if _, err := svc.ScopeOf(r.Context(), p); err != nil {
		return workspaceErr(err)
	}
	csvDownload(w, "recordings")
	// Up to 100,000 rows: longer to send than the server's write timeout
	// allows a whole response on a slow link, so each write is bounded.
	w = httpserver.Stream(w, httpserver.StreamWriteTimeout)
	if err := svc.ExportCSV(r.Context(), w, p, f, loc); err != nil {
		h.Log.Error("ui: export recordings", "err", err)
	}
	return nil
}

// now is the recordings service's clock, which tests may set.
func (h *Handler) now() time.Time {
	if h.Calls != nil && h.Calls.Now != nil {
		return h.Calls.Now()
	}
	return time.Now()
}

// clock formats milliseconds as h:mm:ss or m:ss.
func clock(ms int64) string {
	d := time.Duration(ms) * time.Millisecond
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}
