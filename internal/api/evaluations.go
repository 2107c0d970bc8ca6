package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"callrec/internal/evaluations"
	"callrec/internal/principal"
	"callrec/internal/roles"
)

// registerEvaluations lists the quality evaluation routes: forms,
// evaluations of calls, the agent's acknowledgement or dispute, the
// evaluator's revision or reply, and the reports.
func (h *Handler) registerEvaluations(mux *http.ServeMux) {
	with := func(p roles.Permission) access { return access{perm: p, tenant: true} }
	forms := access{rule: roles.ReadForms, tenant: true}
	see := access{rule: roles.SeeEvaluations, tenant: true}
	h.route(mux, "GET /api/v1/evaluation-forms", forms, h.listForms)
	h.route(mux, "POST /api/v1/evaluation-forms", with(roles.EvaluationsManage), h.createForm)
	h.route(mux, "GET /api/v1/evaluation-forms/{id}", forms, h.getForm)
	h.route(mux, "PATCH /api/v1/evaluation-forms/{id}", with(roles.EvaluationsManage), h.updateForm)
	h.route(mux, "GET /api/v1/evaluations", see, h.listEvaluations)
	h.route(mux, "POST /api/v1/calls/{id}/evaluations", with(roles.EvaluationsEval), h.submitEvaluation)
	h.route(mux, "GET /api/v1/evaluations/{id}", see, h.getEvaluation)
	h.route(mux, "POST /api/v1/evaluations/{id}/acknowledge", with(roles.EvaluationsViewOwn), h.answerEvaluation)
	h.route(mux, "POST /api/v1/evaluations/{id}/dispute", with(roles.EvaluationsViewOwn), h.answerEvaluation)
	h.route(mux, "POST /api/v1/evaluations/{id}/uphold", with(roles.EvaluationsEval), h.answerEvaluation)
	h.route(mux, "POST /api/v1/evaluations/{id}/revise", with(roles.EvaluationsEval), h.reviseEvaluation)
	h.route(mux, "GET /api/v1/evaluation-reports", with(roles.Reports), h.evaluationReport)
	h.route(mux, "GET /api/v1/evaluation-reports/export", with(roles.Reports), h.exportEvaluationReport)
}

// evaluationsErr maps the evaluations service's sentinels to API errors.
func evaluationsErr(err error) error {
	var ne *evaluations.NotEvaluableError
	switch {
	case errors.As(err, &ne):
		return &Error{http.StatusConflict, "not_evaluable", "this call cannot be evaluated: " + ne.Reason, nil, 0}
	case errors.Is(err, evaluations.ErrForbidden):
		return errForbidden
	case errors.Is(err, evaluations.ErrNotFound):
		return errNotFound
	case errors.Is(err, evaluations.ErrState):
		return &Error{http.StatusConflict, "invalid_state", "the evaluation's status does not allow this (see its status)", nil, 0}
	case errors.Is(err, evaluations.ErrParty):
		return &Error{http.StatusConflict, "wrong_party", "only the evaluated agent acknowledges or disputes; only an evaluator revises or upholds", nil, 0}
	}
	return err
}

func (h *Handler) listForms(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	forms, err := h.Evaluations.Forms(r.Context(), p, r.URL.Query().Get("archived") == "true")
	if err != nil {
		return evaluationsErr(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": forms})
	return nil
}

func (h *Handler) createForm(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var in evaluations.FormInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	f, err := h.Evaluations.CreateForm(r.Context(), p, in)
	if err != nil {
		return evaluationsErr(err)
	}
	writeJSON(w, http.StatusCreated, f)
	return nil
}

func (h *Handler) getForm(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	f, err := h.Evaluations.Form(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return evaluationsErr(err)
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

func (h *Handler) updateForm(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var in evaluations.FormInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	f, err := h.Evaluations.UpdateForm(r.Context(), p, r.PathValue("id"), in)
	if err != nil {
		return evaluationsErr(err)
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

func (h *Handler) listEvaluations(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	q := r.URL.Query()
	f := evaluations.ListFilter{Mine: q.Get("mine") == "true", AgentID: q.Get("agent_id"), CallID: q.Get("call_id"),
		FormID: q.Get("form_id"), Status: q.Get("status")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return validationFailed(map[string]string{"limit": "from 1 to 500"})
		}
		f.Limit = n
	}
	list, err := h.Evaluations.List(r.Context(), p, f)
	if err != nil {
		return evaluationsErr(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

func (h *Handler) submitEvaluation(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var in evaluations.Input
	if err := decode(w, r, &in); err != nil {
		return err
	}
	e, err := h.Evaluations.Submit(r.Context(), p, r.PathValue("id"), in)
	if err != nil {
		return evaluationsErr(err)
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}

func (h *Handler) getEvaluation(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	e, err := h.Evaluations.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return evaluationsErr(err)
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

// answerEvaluation is acknowledge, dispute (the agent's) or uphold (the
// evaluator's), each with a comment.
func (h *Handler) answerEvaluation(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var body struct {
		Comment string `json:"comment"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	svc, id, ctx := h.Evaluations, r.PathValue("id"), r.Context()
	var e evaluations.Evaluation
	var err error
	switch {
	case strings.HasSuffix(r.URL.Path, "/acknowledge"):
		e, err = svc.Acknowledge(ctx, p, id, body.Comment)
	case strings.HasSuffix(r.URL.Path, "/dispute"):
		e, err = svc.Dispute(ctx, p, id, body.Comment)
	default:
		e, err = svc.Uphold(ctx, p, id, body.Comment)
	}
	if err != nil {
		return evaluationsErr(err)
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (h *Handler) reviseEvaluation(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var in evaluations.Input
	if err := decode(w, r, &in); err != nil {
		return err
	}
	e, err := h.Evaluations.Revise(r.Context(), p, r.PathValue("id"), in)
	if err != nil {
		return evaluationsErr(err)
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (h *Handler) reportFilter(r *http.Request, p *principal.Principal) (evaluations.ReportFilter, error) {
	loc := h.Calls.Location(r.Context(), p)
	return evaluations.ParseReportFilter(r.URL.Query(), h.Evaluations.DB.Now(), loc)
}

func (h *Handler) evaluationReport(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	f, err := h.reportFilter(r, p)
	if err != nil {
		return err
	}
	rep, err := h.Evaluations.Report(r.Context(), p, f)
	if err != nil {
		return evaluationsErr(err)
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (h *Handler) exportEvaluationReport(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	f, err := h.reportFilter(r, p)
	if err != nil {
		return err
	}
	rep, err := h.Evaluations.Report(r.Context(), p, f)
	if err != nil {
		return evaluationsErr(err)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="evaluations-report.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	return evaluations.WriteCSV(w, rep)
}
