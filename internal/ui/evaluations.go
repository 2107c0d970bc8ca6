package ui

import (
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"callrec/internal/evaluations"
	"callrec/internal/principal"
	"callrec/internal/roles"
	"callrec/internal/validate"
)

// registerQA lists the QA pages: the evaluations list, one evaluation
// with the agent's and the evaluator's actions, the form builder and
// the report.
func (h *Handler) registerQA(mux *http.ServeMux) {
	with := func(p roles.Permission) access { return access{perm: p, tenant: true} }
	see := access{rule: roles.SeeEvaluations, tenant: true}
	h.route(mux, "GET /qa", see, h.qaPage)
	h.route(mux, "GET /qa/evaluations/{id}", see, h.evaluationPage)
	h.route(mux, "POST /qa/evaluations/{id}/acknowledge", with(roles.EvaluationsViewOwn), h.answerEvaluation)
	h.route(mux, "POST /qa/evaluations/{id}/dispute", with(roles.EvaluationsViewOwn), h.answerEvaluation)
	h.route(mux, "POST /qa/evaluations/{id}/uphold", with(roles.EvaluationsEval), h.answerEvaluation)
	h.route(mux, "POST /qa/evaluations/{id}/revise", with(roles.EvaluationsEval), h.reviseEvaluation)
	h.route(mux, "POST /recordings/{id}/evaluations", with(roles.EvaluationsEval), h.submitEvaluation)
	h.route(mux, "GET /qa/forms", access{rule: roles.ReadForms, tenant: true}, h.formsPage)
	h.route(mux, "POST /qa/forms", with(roles.EvaluationsManage), h.createForm)
	h.route(mux, "GET /qa/forms/{id}", with(roles.EvaluationsManage), h.formPage)
	h.route(mux, "POST /qa/forms/{id}", with(roles.EvaluationsManage), h.saveForm)
	h.route(mux, "GET /qa/reports", with(roles.Reports), h.qaReportPage)
	h.route(mux, "GET /qa/reports/export", with(roles.Reports), h.qaReportExport)
}

// evaluationsErr maps the evaluations service's refusals to pages.
func evaluationsErr(err error) error {
	switch {
	case errors.Is(err, evaluations.ErrNotFound):
		return errNotFound
	case errors.Is(err, evaluations.ErrForbidden):
		return errForbidden
	}
	return serviceErr(err)
}

// stateMessage says why an action was refused for the evaluation's state
// or the caller's part in it; "" for other errors.
func stateMessage(err error) string {
	var ne *evaluations.NotEvaluableError
	switch {
	case errors.Is(err, evaluations.ErrState):
		return "Nothing changed: the evaluation's status no longer allows this (it may have changed meanwhile)."
	case errors.Is(err, evaluations.ErrParty):
		return "Nothing changed: only the evaluated agent acknowledges or disputes, and only an evaluator revises or upholds."
	case errors.As(err, &ne):
		return "This call cannot be evaluated: " + ne.Reason + "."
	}
	return ""
}

// fieldsMessage lists validation errors as one sentence.
func fieldsMessage(prefix string, err error) string {
	var verrs validate.Errors
	if !errors.As(err, &verrs) {
		return ""
	}
	keys := make([]string, 0, len(verrs))
	for k := range verrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " — " + verrs[k]
	}
	return prefix + strings.Join(parts, "; ") + "."
}

// statusLabels name the statuses as the QA pages show them.
var statusLabels = map[string]string{"submitted": "Submitted", "acknowledged": "Acknowledged", "disputed": "Disputed", "upheld": "Upheld"}

// qaView is the QA list.
type qaView struct {
	Items     []evaluations.Evaluation
	Mine      bool
	Status    string
	Statuses  []option
	Labels    map[string]string
	Evaluator bool
	Disputed  int
}

func (h *Handler) qaPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	q := r.URL.Query()
	v := qaView{Mine: q.Get("mine") == "true" || !p.Can(roles.EvaluationsEval), Status: q.Get("status"), Labels: statusLabels,
		Evaluator: p.Can(roles.EvaluationsEval)}
	for _, s := range evaluations.Statuses {
		v.Statuses = append(v.Statuses, option{Value: s, Label: statusLabels[s]})
	}
	items, err := h.Evaluations.List(r.Context(), p, evaluations.ListFilter{Mine: v.Mine, Status: v.Status})
	var msg string
	if m := fieldsMessage("The filter was not applied: ", err); m != "" {
		msg, v.Status = m, ""
		items, err = h.Evaluations.List(r.Context(), p, evaluations.ListFilter{Mine: v.Mine})
	}
	if err != nil {
		return evaluationsErr(err)
	}
	v.Items = items
	for _, e := range items {
		if e.Status == "disputed" {
			v.Disputed++
		}
	}
	h.render(w, r, http.StatusOK, "qa", view{Title: "QA", Nav: "qa", Data: v, Error: msg, Flash: qaDone(r)})
	return nil
}

// qaDone confirms the action a redirect names in ?done=.
func qaDone(r *http.Request) string {
	switch r.URL.Query().Get("done") {
	case "submitted":
		return "Evaluation submitted. The agent can now see it."
	case "acknowledged":
		return "Evaluation acknowledged."
	case "disputed":
		return "Dispute sent to the evaluator."
	case "upheld":
		return "The evaluation is upheld; the agent sees your reply."
	case "revised":
		return "Revision saved; the agent sees the new score."
	case "form_saved":
		return "Form saved."
	}
	return ""
}

// evaluationView is one evaluation's page.
type evaluationView struct {
	evaluations.Evaluation
	Rows        []answerRow
	StatusLabel string
	Revise      *answerForm
	Created     string
}

// answerRow is one answered question as the evaluation page shows it.
type answerRow struct {
	Section  string // set on a section's first question
	Question evaluations.Question
	Answer   string
	At       string
	AtMS     int64
	Auto     bool
	Note     string
}

func (h *Handler) evaluationPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	return h.showEvaluation(w, r, p, http.StatusOK, "", nil)
}

func (h *Handler) showEvaluation(w http.ResponseWriter, r *http.Request, p *principal.Principal, status int, msg string, posted []evaluations.Answer) error {
	e, err := h.Evaluations.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return evaluationsErr(err)
	}
	v := evaluationView{Evaluation: e, StatusLabel: statusLabels[e.Status],
		Created: e.CreatedAt.In(h.Calls.Location(r.Context(), p)).Format("2 Jan 2006 15:04")}
	byID := map[string]evaluations.Answer{}
	for _, a := range e.Answers {
		byID[a.QuestionID] = a
	}
	for _, s := range e.Form.Sections {
		for i, q := range s.Questions {
			row := answerRow{Question: q, Answer: "—"}
			if i == 0 {
				row.Section = s.Title
			}
			if a, ok := byID[q.ID]; ok {
				row.Answer, row.Auto, row.Note = answerLabel(q, a), a.Automatic, a.Note
				if a.AtMS != nil {
					row.At, row.AtMS = clock(*a.AtMS), *a.AtMS
				}
			}
			v.Rows = append(v.Rows, row)
		}
	}
	if e.AsReview && (e.Status == "disputed" || e.Status == "submitted") {
		answers := e.Answers
		if posted != nil {
			answers = posted
		}
		v.Revise = newAnswerForm("/qa/evaluations/"+e.ID+"/revise", *e.Form, answers)
		v.Revise.Comment = e.Comment
	}
	h.render(w, r, status, "qa_evaluation", view{Title: "Evaluation of " + e.AgentName, Nav: "qa", Data: v, Error: msg, Flash: qaDone(r)})
	return nil
}

// answerLabel shows an answer: Yes/No, a value out of the scale, or N/A.
func answerLabel(q evaluations.Question, a evaluations.Answer) string {
	if a.NA || a.Value == nil {
		return "N/A"
	}
	if q.Kind == evaluations.YesNo {
		return evaluations.ValueLabel(q.Kind, *a.Value)
	}
	_, hi := q.Range()
	return strconv.Itoa(*a.Value) + " / " + strconv.Itoa(hi)
}

func (h *Handler) answerEvaluation(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	id := r.PathValue("id")
	svc, ctx, text := h.Evaluations, r.Context(), r.PostFormValue("comment")
	var err error
	done := "upheld"
	switch {
	case strings.HasSuffix(r.URL.Path, "/acknowledge"):
		_, err = svc.Acknowledge(ctx, p, id, text)
		done = "acknowledged"
	case strings.HasSuffix(r.URL.Path, "/dispute"):
		_, err = svc.Dispute(ctx, p, id, text)
		done = "disputed"
	default:
		_, err = svc.Uphold(ctx, p, id, text)
	}
	if m := stateMessage(err) + fieldsMessage("Nothing changed: ", err); m != "" {
		return h.showEvaluation(w, r, p, http.StatusConflict, m, nil)
	}
	if err != nil {
		return evaluationsErr(err)
	}
	http.Redirect(w, r, "/qa/evaluations/"+id+"?done="+done, http.StatusSeeOther)
	return nil
}

func (h *Handler) reviseEvaluation(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	id := r.PathValue("id")
	e, err := h.Evaluations.Get(r.Context(), p, id)
	if err != nil {
		return evaluationsErr(err)
	}
	in := evaluations.Input{Answers: postedAnswers(r, *e.Form), Comment: r.PostFormValue("comment"), Reply: r.PostFormValue("reply")}
	_, err = h.Evaluations.Revise(r.Context(), p, id, in)
	if m := stateMessage(err) + fieldsMessage("The revision was not saved: ", err); m != "" {
		return h.showEvaluation(w, r, p, http.StatusBadRequest, m, in.Answers)
	}
	if err != nil {
		return evaluationsErr(err)
	}
	http.Redirect(w, r, "/qa/evaluations/"+id+"?done=revised", http.StatusSeeOther)
	return nil
}

func (h *Handler) submitEvaluation(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	callID := r.PathValue("id")
	formID := r.PostFormValue("form_id")
	in := evaluations.Input{FormID: formID, Comment: r.PostFormValue("comment")}
	if f, err := h.Evaluations.Form(r.Context(), p, formID); err == nil {
		in.Answers = postedAnswers(r, f.Definition)
	}
	e, err := h.Evaluations.Submit(r.Context(), p, callID, in)
	if m := stateMessage(err) + fieldsMessage("The evaluation was not saved: ", err); m != "" {
		return h.showRecordingWith(w, r, p, http.StatusBadRequest, m, &in)
	}
	if err != nil {
		return evaluationsErr(err)
	}
	http.Redirect(w, r, "/qa/evaluations/"+e.ID+"?done=submitted", http.StatusSeeOther)
	return nil
}

// postedAnswers reads the answer form: v.<question> is a value or "na",
// at.<question> a moment as m:ss. Unanswered questions are left out (the
// service says which it needs); an unreadable moment is dropped with the
// value kept, and the service checks the rest.
func postedAnswers(r *http.Request, d evaluations.Definition) []evaluations.Answer {
	var out []evaluations.Answer
	for _, q := range d.Questions() {
		raw := r.PostFormValue("v." + q.ID)
		if raw == "" {
			continue
		}
		a := evaluations.Answer{QuestionID: q.ID, Note: r.PostFormValue("note." + q.ID)}
		if raw == "na" {
			a.NA = true
		} else if n, err := strconv.Atoi(raw); err == nil {
			a.Value = &n
		} else {
			bad := -1
			a.Value = &bad
		}
		if at := r.PostFormValue("at." + q.ID); at != "" {
			if ms, ok := parseClock(at); ok {
				a.AtMS = &ms
			}
		}
		out = append(out, a)
	}
	return out
}
