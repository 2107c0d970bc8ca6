package evaluations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"callrec/internal/caller"
	"callrec/internal/store"
	"callrec/internal/validate"
)

// comment trims and bounds a comment; required makes an empty one an error.
func comment(field, text string, required bool) (string, error) {
	text = strings.TrimSpace(text)
	switch {
	case required && text == "":
		return "", validate.Field(field, "required")
	case utf8.RuneCountInString(text) > MaxCommentLen:
		return "", validate.Field(field, fmt.Sprintf("at most %d characters", MaxCommentLen))
	}
	return text, nil
}

// setStatus moves an evaluation the caller is the right party to from one
// of the statuses from to status, audited.
// The evaluation is found before the comment is checked, so that one of
// another tenant answers not found whatever the comment.
func (s *Service) setStatus(ctx context.Context, p *caller.Caller, id string, asAgent bool, status, text string, required bool, from ...string) (Evaluation, error) {
	e, agent, reviewer, err := s.load(ctx, p, id)
	if err != nil {
		return Evaluation{}, err
	}
	if asAgent && !agent || !asAgent && !reviewer {
		return Evaluation{}, ErrParty
	}
	if text, err = comment("comment", text, required); err != nil {
		return Evaluation{}, err
	}
	agentComment, reply := e.AgentComment, e.Reply
	if asAgent {
		agentComment = text
	} else {
		reply = text
	}
	err = s.DB.InTx(ctx, func(tx store.Q) error {
		err := tx.SetEvaluationStatus(ctx, p.TenantID, id, status, agentComment, reply, s.DB.Now(), from...)
		if errors.Is(err, store.ErrNotFound) {
			return ErrState
		} else if err != nil {
			return err
		}
		return s.audit(ctx, tx, p, "evaluation."+verb[status], "evaluation", id, map[string]any{"from": e.Status, "comment": text})
	})
	if err != nil {
		return Evaluation{}, err
	}
	return s.Get(ctx, p, id)
}

var verb = map[string]string{store.EvalAcknowledged: "acknowledge", store.EvalDisputed: "dispute", store.EvalUpheld: "uphold"}

// Acknowledge is the agent's acceptance of an evaluation (or of the
// evaluator's answer to their dispute), with an optional comment.
func (s *Service) Acknowledge(ctx context.Context, p *caller.Caller, id, text string) (Evaluation, error) {
	return s.setStatus(ctx, p, id, true, store.EvalAcknowledged, text, false, store.EvalSubmitted, store.EvalUpheld)
}

// Dispute is the agent's objection, with the comment that says why; it
// goes back to the evaluators ("Disputed" in their QA list).
func (s *Service) Dispute(ctx context.Context, p *caller.Caller, id, text string) (Evaluation, error) {
	return s.setStatus(ctx, p, id, true, store.EvalDisputed, text, true, store.EvalSubmitted)
}

// Uphold is the evaluator's answer to a dispute that keeps the score,
// with the reply that says why.
func (s *Service) Uphold(ctx context.Context, p *caller.Caller, id, text string) (Evaluation, error) {
	return s.setStatus(ctx, p, id, false, store.EvalUpheld, text, true, store.EvalDisputed)
}

// Revise answers an evaluation again (with the form version it was made
// with) as a new revision: the score is computed again and the agent
// sees it as submitted. A disputed or not yet acknowledged evaluation
// can be revised.
func (s *Service) Revise(ctx context.Context, p *caller.Caller, id string, in Input) (Evaluation, error) {
	row, _, reviewer, err := s.load(ctx, p, id)
	if err != nil {
		return Evaluation{}, err
	}
	if !reviewer {
		return Evaluation{}, ErrParty
	}
	if row.Status != store.EvalDisputed && row.Status != store.EvalSubmitted {
		return Evaluation{}, ErrState
	}
	f, err := s.formAt(ctx, p.TenantID, row.FormID, row.FormVersion)
	if err != nil {
		return Evaluation{}, err
	}
	t := Target{Call: store.Call{ID: row.CallID, TenantID: p.TenantID}}
	if c, err := s.DB.Q().GetCall(ctx, p.TenantID, row.CallID); err == nil {
		t.Call = c
	}
	if t.Agent, err = s.DB.Q().GetUser(ctx, p.TenantID, row.AgentID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return Evaluation{}, err
	}
	res, err := s.prepare(ctx, t, f.Definition, &in)
	if err != nil {
		return Evaluation{}, err
	}
	answers, err := json.Marshal(in.Answers)
	if err != nil {
		return Evaluation{}, err
	}
	next := row
	next.Revision, next.EvaluatorID, next.Answers, next.Score, next.CriticalFailed = row.Revision+1, p.User.ID, string(answers), res.Score, res.CriticalFailed
	next.Comment, next.Status, next.Reply, next.UpdatedAt = in.Comment, store.EvalSubmitted, in.Reply, s.DB.Now()
	err = s.DB.InTx(ctx, func(tx store.Q) error {
		err := tx.ReviseEvaluation(ctx, next, store.EvalDisputed, store.EvalSubmitted)
		if errors.Is(err, store.ErrNotFound) {
			return ErrState
		} else if err != nil {
			return err
		}
		return s.audit(ctx, tx, p, "evaluation.revise", "evaluation", id, map[string]any{"revision": next.Revision,
			"from": row.Status, "score": res.Score, "previous_score": row.Score, "critical_failed": res.CriticalFailed})
	})
	if err != nil {
		return Evaluation{}, err
	}
	return s.Get(ctx, p, id)
}
