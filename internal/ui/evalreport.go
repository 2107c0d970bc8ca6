package ui

import (
	"net/http"
	"net/url"
	"strconv"

	"callrec/internal/evaluations"
	"callrec/internal/principal"
)

// qaReportView is the QA report page.
type qaReportView struct {
	evaluations.Report
	From, To    string // the filter's dates, as the inputs take them
	FormID      string
	GroupID     string
	FormChoices []evaluations.Form
	Groups      []*evaluations.Row // the groups the report counts
	Query       string             // the filter, for the CSV link
	Tables      []rowTable
	Dist        []questionDist
}

// rowTable is one of the report's tables of rows.
type rowTable struct {
	Title, ID, Key string
	Rows           []*evaluations.Row
}

// questionDist is a question's answers, labelled.
type questionDist struct {
	Text, FormName string
	Values         []option // Label: the value's name; Value: its count
}

func (h *Handler) qaReportPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	ctx := r.Context()
	loc := h.Calls.Location(ctx, p)
	q := r.URL.Query()
	f, ferr := evaluations.ParseReportFilter(q, h.Evaluations.DB.Now(), loc)
	msg := fieldsMessage("The filter was not applied: ", ferr)
	if ferr != nil {
		f, _ = evaluations.ParseReportFilter(url.Values{}, h.Evaluations.DB.Now(), loc)
	}
	rep, err := h.Evaluations.Report(ctx, p, f)
	if err != nil {
		return evaluationsErr(err)
	}
	v := qaReportView{Report: rep, From: f.From.In(loc).Format("2006-01-02"), To: f.To.In(loc).AddDate(0, 0, -1).Format("2006-01-02"),
		FormID: f.FormID, GroupID: f.GroupID}
	v.Query = url.Values{"from": {v.From}, "to": {v.To}, "form_id": {v.FormID}, "group_id": {v.GroupID}}.Encode()
	if v.FormChoices, err = h.Evaluations.Forms(ctx, p, true); err != nil && !shownOnlyTo(err) {
		return evaluationsErr(err)
	}
	v.Groups = rep.Groups
	v.Tables = []rowTable{{"Per agent", "qa-agents", "Agent", rep.Agents}, {"Per group", "qa-groups", "Group", rep.Groups},
		{"Per form", "qa-forms", "Form", rep.Forms}, {"Per week", "qa-weeks", "Week", rep.Weeks}}
	for _, qs := range rep.Questions {
		d := questionDist{Text: qs.Text, FormName: qs.FormName}
		for _, val := range qs.Values {
			d.Values = append(d.Values, option{Label: evaluations.ValueLabel(qs.Kind, val.Value), Value: strconv.Itoa(val.Count)})
		}
		if qs.NA > 0 {
			d.Values = append(d.Values, option{Label: "N/A", Value: strconv.Itoa(qs.NA)})
		}
		v.Dist = append(v.Dist, d)
	}
	h.render(w, r, http.StatusOK, "qa_report", view{Title: "QA report", Nav: "reports", Data: v, Error: msg})
	return nil
}

func (h *Handler) qaReportExport(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	loc := h.Calls.Location(r.Context(), p)
	f, err := evaluations.ParseReportFilter(r.URL.Query(), h.Evaluations.DB.Now(), loc)
	if err != nil {
		return errBadForm
	}
	rep, err := h.Evaluations.Report(r.Context(), p, f)
	if err != nil {
		return evaluationsErr(err)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="qa-report.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	if err := evaluations.WriteCSV(w, rep); err != nil {
		h.Log.Error("ui: qa report export", "err", err)
	}
	return nil
}
