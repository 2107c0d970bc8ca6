package evaluations

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"unicode/utf8"

	"callrec/internal/validate"
)

// Question kinds.
const (
	YesNo   = "yes_no"   // 1 yes, 0 no
	Scale5  = "scale_5"  // 1 to 5
	Scale10 = "scale_10" // 0 to 10
)

// Kinds lists the question kinds with the labels the form builder shows.
var Kinds = []struct{ Value, Label string }{{YesNo, "Yes / No"}, {Scale5, "Scale 1–5"}, {Scale10, "Scale 0–10"}}

// Bounds of a form, so that one cannot grow without end.
const (
	MaxNameLen      = 120
	MaxSections     = 20
	MaxQuestions    = 50 // per section
	MaxAllQuestions = 200
	MaxTextLen      = 300
	MaxRuleLen      = 200
	MaxWeight       = 100
)

// Definition is a form version's sections and questions.
type Definition struct {
	Sections []Section `json:"sections"`
}

// Section is a titled group of questions.
type Section struct {
	Title     string     `json:"title"`
	Questions []Question `json:"questions"`
}

// Question is one question of a form. Its ID is stable across versions,
// so reports can follow a question through the form's edits.
type Question struct {
	ID     string  `json:"id"`
	Text   string  `json:"text"`
	Kind   string  `json:"kind"`
	Weight float64 `json:"weight"`
	// AllowNA lets the evaluator answer "not applicable": the question
	// then counts for nothing in the score.
	AllowNA bool `json:"allow_na"`
	// Critical: failing it (no, or the lowest value) makes the score 0.
	Critical bool `json:"critical"`
	// Rule is a phrase the agent must say (auto-QA, yes/no questions
	// only): with a transcript, an unanswered question is answered by
	// AutoAnswer.
	Rule string `json:"rule,omitempty"`
}

// Range is the lowest and highest value a question takes.
func (q Question) Range() (lo, hi int) {
	switch q.Kind {
	case Scale5:
		return 1, 5
	case Scale10:
		return 0, 10
	}
	return 0, 1
}

// normal maps a value to [0, 1].
func (q Question) normal(v int) float64 {
	lo, hi := q.Range()
	return float64(v-lo) / float64(hi-lo)
}

// Questions lists every question in order.
func (d Definition) Questions() []Question {
	var out []Question
	for _, s := range d.Sections {
		out = append(out, s.Questions...)
	}
	return out
}

// Question finds a question by id.
func (d Definition) Question(id string) (Question, bool) {
	for _, q := range d.Questions() {
		if q.ID == id {
			return q, true
		}
	}
	return Question{}, false
}

var questionID = regexp.MustCompile(`^[a-z0-9_-]{1,40}$`)

// normalize trims the texts and gives new questions ids unused in the
// form; ids already there are kept, so answers follow a question across
// versions.
func (d *Definition) normalize() {
	used := map[string]bool{}
	for _, q := range d.Questions() {
		used[q.ID] = true
	}
	n := 0
	for si := range d.Sections {
		s := &d.Sections[si]
		s.Title = strings.TrimSpace(s.Title)
		for qi := range s.Questions {
			q := &s.Questions[qi]
			q.Text, q.Rule, q.ID = strings.TrimSpace(q.Text), strings.TrimSpace(q.Rule), strings.TrimSpace(q.ID)
			if q.Kind == "" {
				q.Kind = YesNo
			}
			for q.ID == "" {
				n++
				if id := fmt.Sprintf("q%d", n); !used[id] {
					q.ID, used[id] = id, true
				}
			}
		}
	}
}

// validateForm checks a form's name and definition, field by field.
func validateForm(name string, d Definition) validate.Errors {
	errs := validate.Errors{}
	if name == "" {
		errs["name"] = "required"
	} else if utf8.RuneCountInString(name) > MaxNameLen {
		errs["name"] = fmt.Sprintf("at most %d characters", MaxNameLen)
	}
	switch {
	case len(d.Sections) == 0:
		errs["sections"] = "a form needs at least one section with a question"
	case len(d.Sections) > MaxSections:
		errs["sections"] = fmt.Sprintf("at most %d sections", MaxSections)
	}
	if n := len(d.Questions()); n > MaxAllQuestions {
		errs["sections"] = fmt.Sprintf("at most %d questions in all, this form has %d", MaxAllQuestions, n)
	}
	seen := map[string]bool{}
	weighted := false
	for si, s := range d.Sections {
		sp := fmt.Sprintf("sections[%d]", si)
		if s.Title == "" {
			errs[sp+".title"] = "required"
		} else if utf8.RuneCountInString(s.Title) > MaxTextLen {
			errs[sp+".title"] = fmt.Sprintf("at most %d characters", MaxTextLen)
		}
		if len(s.Questions) == 0 {
			errs[sp+".questions"] = "a section needs at least one question"
		} else if len(s.Questions) > MaxQuestions {
			errs[sp+".questions"] = fmt.Sprintf("at most %d questions in a section", MaxQuestions)
		}
		for qi, q := range s.Questions {
			validateQuestion(errs, fmt.Sprintf("%s.questions[%d]", sp, qi), q, seen)
			weighted = weighted || q.Weight > 0
		}
	}
	if len(d.Questions()) > 0 && !weighted {
		errs.Add("sections", "at least one question needs a weight above 0, or no score can be computed")
	}
	return errs
}

func validateQuestion(errs validate.Errors, qp string, q Question, seen map[string]bool) {
	switch {
	case !questionID.MatchString(q.ID):
		errs[qp+".id"] = "1 to 40 of a-z, 0-9, _ and -"
	case seen[q.ID]:
		errs[qp+".id"] = "used by another question of the form"
	}
	seen[q.ID] = true
	if q.Text == "" {
		errs[qp+".text"] = "required"
	} else if utf8.RuneCountInString(q.Text) > MaxTextLen {
		errs[qp+".text"] = fmt.Sprintf("at most %d characters", MaxTextLen)
	}
	if q.Kind != YesNo && q.Kind != Scale5 && q.Kind != Scale10 {
		errs[qp+".kind"] = "one of yes_no, scale_5, scale_10"
	}
	if math.IsNaN(q.Weight) || q.Weight < 0 || q.Weight > MaxWeight {
		errs[qp+".weight"] = fmt.Sprintf("a number from 0 to %d", MaxWeight)
	}
	if utf8.RuneCountInString(q.Rule) > MaxRuleLen {
		errs[qp+".rule"] = fmt.Sprintf("at most %d characters", MaxRuleLen)
	} else if q.Rule != "" && q.Kind != YesNo {
		errs[qp+".rule"] = "only a yes/no question can be answered from the transcript"
	} else if q.Rule != "" && len(words(q.Rule)) == 0 {
		errs[qp+".rule"] = "needs at least one word"
	}
}
