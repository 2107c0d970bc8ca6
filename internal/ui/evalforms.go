package ui

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"callrec/internal/evaluations"
	"callrec/internal/principal"
	"callrec/internal/roles"
)

// formsView is the list of QA forms with the form to start a new one.
type formsView struct {
	Forms     []evaluations.Form
	CanManage bool
}

func (h *Handler) formsPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	forms, err := h.Evaluations.Forms(r.Context(), p, p.Can(roles.EvaluationsManage))
	if err != nil {
		return evaluationsErr(err)
	}
	v := formsView{Forms: forms, CanManage: p.Can(roles.EvaluationsManage)}
	h.render(w, r, http.StatusOK, "qa_forms", view{Title: "QA forms", Nav: "qa", Data: v, Flash: qaDone(r)})
	return nil
}

// formEditView is the form builder: the form's sections and questions
// with blank rows to add more (saved rows left blank are dropped).
type formEditView struct {
	Action   string
	ID       string
	Name     string
	Version  int
	Archived bool
	Sections []evaluations.Section
	Kinds    []struct{ Value, Label string }
	Errors   map[string]string
}

// Blank rows the builder offers: questions per section, and new sections.
const (
	blankQuestions = 2
	blankSections  = 1
)

func newFormEdit(action string, f evaluations.Form) formEditView {
	v := formEditView{Action: action, ID: f.ID, Name: f.Name, Version: f.Version, Archived: f.Archived, Kinds: evaluations.Kinds}
	for _, s := range f.Definition.Sections {
		s.Questions = append(append([]evaluations.Question{}, s.Questions...), make([]evaluations.Question, blankQuestions)...)
		v.Sections = append(v.Sections, s)
	}
	for range blankSections {
		v.Sections = append(v.Sections, evaluations.Section{Questions: make([]evaluations.Question, blankQuestions+1)})
	}
	return v
}

func (h *Handler) createForm(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	name, def := postedForm(r)
	f, err := h.Evaluations.CreateForm(r.Context(), p, evaluations.FormInput{Name: &name, Definition: &def})
	if m := fieldsMessage("The form was not saved: ", err); m != "" {
		v := newFormEdit("/qa/forms", evaluations.Form{Name: name, Definition: def})
		v.Errors, _ = formErrors(err)
		h.render(w, r, http.StatusBadRequest, "qa_form", view{Title: "New QA form", Nav: "qa", Data: v, Error: m})
		return nil
	}
	if err != nil {
		return evaluationsErr(err)
	}
	http.Redirect(w, r, "/qa/forms/"+f.ID+"?done=form_saved", http.StatusSeeOther)
	return nil
}

func (h *Handler) formPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var f evaluations.Form
	if id := r.PathValue("id"); id != "new" {
		var err error
		if f, err = h.Evaluations.Form(r.Context(), p, id); err != nil {
			return evaluationsErr(err)
		}
	}
	action, title := "/qa/forms/"+f.ID, "QA form "+f.Name
	if f.ID == "" {
		action, title = "/qa/forms", "New QA form"
	}
	h.render(w, r, http.StatusOK, "qa_form", view{Title: title, Nav: "qa", Data: newFormEdit(action, f), Flash: qaDone(r)})
	return nil
}

func (h *Handler) saveForm(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	id := r.PathValue("id")
	name, def := postedForm(r)
	archived := r.PostFormValue("archived") == "on"
	f, err := h.Evaluations.UpdateForm(r.Context(), p, id, evaluations.FormInput{Name: &name, Definition: &def, Archived: &archived})
	if m := fieldsMessage("The form was not saved: ", err); m != "" {
		cur, _ := h.Evaluations.Form(r.Context(), p, id)
		v := newFormEdit("/qa/forms/"+id, evaluations.Form{ID: id, Name: name, Version: cur.Version, Archived: archived, Definition: def})
		v.Errors, _ = formErrors(err)
		h.render(w, r, http.StatusBadRequest, "qa_form", view{Title: "QA form " + name, Nav: "qa", Data: v, Error: m})
		return nil
	}
	if err != nil {
		return evaluationsErr(err)
	}
	http.Redirect(w, r, "/qa/forms/"+f.ID+"?done=form_saved", http.StatusSeeOther)
	return nil
}

// postedForm reads the builder: s<i>.title and s<i>.q<j>.{id,text,kind,
// weight,na,critical,rule}. Rows with no text and no title are blank
// slots and are dropped; a bad weight is kept as -1 for the service to
// refuse by name.
func postedForm(r *http.Request) (string, evaluations.Definition) {
	var d evaluations.Definition
	for i := 0; i < evaluations.MaxSections+blankSections; i++ {
		sp := fmt.Sprintf("s%d.", i)
		if _, ok := r.PostForm[sp+"title"]; !ok {
			break
		}
		s := evaluations.Section{Title: r.PostFormValue(sp + "title")}
		for j := 0; j < evaluations.MaxQuestions+blankQuestions; j++ {
			qp := fmt.Sprintf("%sq%d.", sp, j)
			if _, ok := r.PostForm[qp+"text"]; !ok {
				break
			}
			q := evaluations.Question{ID: r.PostFormValue(qp + "id"), Text: r.PostFormValue(qp + "text"), Kind: r.PostFormValue(qp + "kind"),
				AllowNA: r.PostFormValue(qp+"na") == "on", Critical: r.PostFormValue(qp+"critical") == "on", Rule: r.PostFormValue(qp + "rule")}
			if strings.TrimSpace(q.Text) == "" && strings.TrimSpace(q.Rule) == "" {
				continue
			}
			q.Weight = -1
			if w, err := strconv.ParseFloat(strings.TrimSpace(r.PostFormValue(qp+"weight")), 64); err == nil {
				q.Weight = w
			}
			s.Questions = append(s.Questions, q)
		}
		if strings.TrimSpace(s.Title) == "" && len(s.Questions) == 0 {
			continue
		}
		d.Sections = append(d.Sections, s)
	}
	return strings.TrimSpace(r.PostFormValue("name")), d
}
