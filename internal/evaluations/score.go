package evaluations

import (
	"fmt"
	"math"
	"unicode/utf8"

	"callrec/internal/validate"
)

// Answer is the answer to one question. Value is nil when the question
// was answered "not applicable".
type Answer struct {
	QuestionID string `json:"question_id"`
	Value      *int   `json:"value"`
	NA         bool   `json:"na"`
	// AtMS pins the answer to a moment of the recording, from its start.
	AtMS *int64 `json:"at_ms,omitempty"`
	Note string `json:"note,omitempty"`
	// Automatic: answered by AutoAnswer from the call's transcript.
	Automatic bool `json:"automatic,omitempty"`
}

// MaxNoteLen bounds an answer's note; MaxCommentLen an evaluation's
// comment, a dispute and a reply.
const (
	MaxNoteLen    = 500
	MaxCommentLen = 2000
)

// Result is a computed score: 0 to 100, 0 when a critical question failed.
type Result struct {
	Score          float64 `json:"score"`
	CriticalFailed bool    `json:"critical_failed"`
}

// Score weighs the answers: each answered question counts its weight times
// its value mapped to [0, 1]; "not applicable" counts for nothing, neither
// in the sum nor in the total weight; a failed critical question (no, or
// the scale's lowest value) makes the score 0. With no weight answered,
// the score is 0. The answers must have passed checkAnswers.
func Score(d Definition, answers []Answer) Result {
	byID := map[string]Answer{}
	for _, a := range answers {
		byID[a.QuestionID] = a
	}
	var got, total float64
	var r Result
	for _, q := range d.Questions() {
		a, ok := byID[q.ID]
		if !ok || a.NA || a.Value == nil {
			continue
		}
		lo, _ := q.Range()
		if q.Critical && *a.Value == lo {
			r.CriticalFailed = true
		}
		got += q.Weight * q.normal(*a.Value)
		total += q.Weight
	}
	if total > 0 && !r.CriticalFailed {
		r.Score = math.Round(1000*got/total) / 10
	}
	return r
}

// checkAnswers wants one answer to each question of the form, none to
// another: a value in the question's range, or N/A where allowed; a
// moment within the call (durationMS; 0 for unknown) and a bounded note.
// A question with a rule may be left out when auto is true: AutoAnswer
// fills it.
func checkAnswers(d Definition, answers []Answer, durationMS int64, auto bool) validate.Errors {
	errs := validate.Errors{}
	given := map[string]bool{}
	for i, a := range answers {
		ap := fmt.Sprintf("answers[%d]", i)
		q, ok := d.Question(a.QuestionID)
		switch {
		case !ok:
			errs[ap+".question_id"] = "no such question in this form's version"
			continue
		case given[a.QuestionID]:
			errs[ap+".question_id"] = "answered twice"
			continue
		}
		given[a.QuestionID] = true
		lo, hi := q.Range()
		switch {
		case a.NA && !q.AllowNA:
			errs[ap+".value"] = "this question cannot be answered N/A"
		case a.NA && a.Value != nil:
			errs[ap+".value"] = "either a value or N/A, not both"
		case !a.NA && a.Value == nil:
			errs[ap+".value"] = "required"
		case !a.NA && (*a.Value < lo || *a.Value > hi):
			errs[ap+".value"] = fmt.Sprintf("from %d to %d", lo, hi)
		}
		if a.AtMS != nil && (*a.AtMS < 0 || durationMS > 0 && *a.AtMS > durationMS) {
			errs[ap+".at_ms"] = "a moment within the call"
		}
		if utf8.RuneCountInString(a.Note) > MaxNoteLen {
			errs[ap+".note"] = fmt.Sprintf("at most %d characters", MaxNoteLen)
		}
	}
	for _, q := range d.Questions() {
		if !given[q.ID] && !(auto && q.Rule != "") {
			why := "required"
			if q.Rule != "" {
				why = "required: no transcript of this call can answer it automatically"
			}
			errs["answers."+q.ID] = why
		}
	}
	return errs
}
