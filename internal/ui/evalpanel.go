package ui

import (
	"errors"
	"net/http"
	"strconv"

	"callrec/internal/evaluations"
	"callrec/internal/principal"
	"callrec/internal/recordings"
	"callrec/internal/roles"
)

// answerForm is the form that answers a QA form's questions, on the
// call page beside the player and on an evaluation's page to revise it.
type answerForm struct {
	Action  string
	Forms   []evaluations.Form // the picker (new evaluations only)
	FormID  string
	Rows    []questionRow
	Comment string
	Revise  bool
}

// questionRow is one question of the answer form with its choices.
type questionRow struct {
	Section  string // set on a section's first question
	Question evaluations.Question
	Options  []option
	Selected string // the chosen value, "na", or ""
	At       string // the pinned moment, m:ss
}

// newAnswerForm lays out a form's questions with the given answers chosen.
func newAnswerForm(action string, d evaluations.Definition, answers []evaluations.Answer) *answerForm {
	f := &answerForm{Action: action}
	byID := map[string]evaluations.Answer{}
	for _, a := range answers {
		byID[a.QuestionID] = a
	}
	for _, s := range d.Sections {
		for i, q := range s.Questions {
			row := questionRow{Question: q}
			if i == 0 {
				row.Section = s.Title
			}
			lo, hi := q.Range()
			for v := hi; v >= lo; v-- {
				row.Options = append(row.Options, option{Value: strconv.Itoa(v), Label: evaluations.ValueLabel(q.Kind, v)})
			}
			if q.AllowNA {
				row.Options = append(row.Options, option{Value: "na", Label: "N/A"})
			}
			if a, ok := byID[q.ID]; ok {
				switch {
				case a.NA:
					row.Selected = "na"
				case a.Value != nil:
					row.Selected = strconv.Itoa(*a.Value)
				}
				if a.AtMS != nil {
					row.At = clock(*a.AtMS)
				}
			}
			f.Rows = append(f.Rows, row)
		}
	}
	return f
}

// evalPanel is the call page's QA panel: the answer form, or why the call
// cannot be evaluated, and the call's evaluations the caller sees.
type evalPanel struct {
	Form     *answerForm
	Reason   string
	NoForms  bool
	Existing []evaluations.Evaluation
	Labels   map[string]string
}

// evalPanel builds the panel for the caller, nil when their role has no
// part in evaluations.
func (h *Handler) evalPanel(r *http.Request, p *principal.Principal, d recordings.Detail, posted *evaluations.Input) (*evalPanel, error) {
	if h.Evaluations == nil || !p.Can(roles.EvaluationsEval) && !p.Can(roles.EvaluationsViewOwn) {
		return nil, nil
	}
	ctx := r.Context()
	panel := &evalPanel{Labels: statusLabels}
	var err error
	if panel.Existing, err = h.Evaluations.List(ctx, p, evaluations.ListFilter{CallID: d.ID}); err != nil {
		return nil, err
	}
	if !p.Can(roles.EvaluationsEval) {
		return panel, nil
	}
	_, err = h.Evaluations.Evaluable(ctx, p, d.ID)
	var ne *evaluations.NotEvaluableError
	switch {
	case errors.As(err, &ne):
		panel.Reason = ne.Reason
		return panel, nil
	case err != nil:
		return nil, err
	}
	forms, err := h.Evaluations.Forms(ctx, p, false)
	if err != nil {
		return nil, err
	}
	if len(forms) == 0 {
		panel.NoForms = true
		return panel, nil
	}
	chosen := forms[0]
	want := r.URL.Query().Get("form")
	if posted != nil {
		want = posted.FormID
	}
	for _, f := range forms {
		if f.ID == want {
			chosen = f
		}
	}
	var answers []evaluations.Answer
	if posted != nil {
		answers = posted.Answers
	}
	panel.Form = newAnswerForm("/recordings/"+d.ID+"/evaluations", chosen.Definition, answers)
	panel.Form.Forms, panel.Form.FormID = forms, chosen.ID
	if posted != nil {
		panel.Form.Comment = posted.Comment
	}
	return panel, nil
}
