package evaluations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"callrec/internal/account"
	"callrec/internal/caller"
	"callrec/internal/recordings"
	"callrec/internal/roles"
	"callrec/internal/store"
	"callrec/internal/validate"
)

// ErrParty: the caller sees the evaluation but is not the party the
// action belongs to (only its agent acknowledges or disputes, only an
// evaluator in scope revises or upholds).
var ErrParty = errors.New("evaluations: the action belongs to the other party")

// Evaluation is one evaluation as its readers see it.
type Evaluation struct {
	ID             string    `json:"id"`
	CallID         string    `json:"call_id"`
	AgentID        string    `json:"agent_id"`
	AgentName      string    `json:"agent_name"`
	EvaluatorID    string    `json:"evaluator_id"`
	EvaluatorName  string    `json:"evaluator_name"`
	FormID         string    `json:"form_id"`
	FormName       string    `json:"form_name"`
	FormVersion    int       `json:"form_version"`
	Revision       int       `json:"revision"`
	Answers        []Answer  `json:"answers"`
	Score          float64   `json:"score"`
	CriticalFailed bool      `json:"critical_failed"`
	Comment        string    `json:"comment"`
	Status         string    `json:"status"`
	AgentComment   string    `json:"agent_comment"`
	Reply          string    `json:"reply"`
	CallStartedAt  time.Time `json:"call_started_at"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	// Detail only: the form's version it was made with, its revisions,
	// and what the caller may do with it.
	Form      *Definition                `json:"form,omitempty"`
	Revisions []store.EvaluationRevision `json:"revisions,omitempty"`
	AsAgent   bool                       `json:"-"`
	AsReview  bool                       `json:"-"`
}

func evaluationOf(e store.Evaluation) (Evaluation, error) {
	out := Evaluation{ID: e.ID, CallID: e.CallID, AgentID: e.AgentID, AgentName: e.AgentName, EvaluatorID: e.EvaluatorID,
		EvaluatorName: e.EvaluatorName, FormID: e.FormID, FormName: e.FormName, FormVersion: e.FormVersion, Revision: e.Revision,
		Score: e.Score, CriticalFailed: e.CriticalFailed, Comment: e.Comment, Status: e.Status, AgentComment: e.AgentComment,
		Reply: e.Reply, CallStartedAt: e.CallStartedAt, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
	if err := json.Unmarshal([]byte(e.Answers), &out.Answers); err != nil {
		return out, fmt.Errorf("evaluations: answers of %s: %w", e.ID, err)
	}
	return out, nil
}

// Target is a call that can be evaluated, with its agent.
type Target struct {
	Call  store.Call
	Agent store.User
}

// Evaluable tells whether the caller may evaluate the call, and if not
// why (a *NotEvaluableError the call page shows). The call must be one the
// caller sees (the recordings service's scope), finished and recorded, of
// another user, who holds the Agent evaluation license.
func (s *Service) Evaluable(ctx context.Context, p *caller.Caller, callID string) (Target, error) {
	var t Target
	if !p.Can(roles.EvaluationsEval) {
		return t, ErrForbidden
	}
	c, err := s.Calls.Call(ctx, p, callID)
	switch {
	case errors.Is(err, recordings.ErrNotFound):
		return t, ErrNotFound
	case errors.Is(err, recordings.ErrForbidden):
		return t, ErrForbidden
	case err != nil:
		return t, err
	}
	t.Call = c
	switch {
	case c.State == store.CallActive:
		return t, &NotEvaluableError{"the call is still in progress: evaluate it once it ends"}
	case !c.Recorded:
		return t, &NotEvaluableError{"the call was not recorded"}
	case c.RecordedUserID == "":
		return t, &NotEvaluableError{"the call is not attributed to a user"}
	case c.RecordedUserID == p.User.ID:
		return t, &NotEvaluableError{"this is your own call: a supervisor of your group evaluates it"}
	}
	if t.Agent, err = s.DB.Q().GetUser(ctx, p.TenantID, c.RecordedUserID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return t, &NotEvaluableError{"the call's user no longer exists"}
		}
		return t, err
	}
	if !slices.Contains(t.Agent.Licenses, LicenseType) {
		return t, &NotEvaluableError{t.Agent.Name + " holds no Agent evaluation license: an admin can assign one under Administration → Users"}
	}
	return t, nil
}

// Input is an evaluation's answers, as submitted or revised.
type Input struct {
	FormID  string   `json:"form_id"`
	Answers []Answer `json:"answers"`
	Comment string   `json:"comment"`
	// Reply answers the agent's dispute (revisions only).
	Reply string `json:"reply"`
}

// prepare checks answers against the form, fills what the transcript
// answers, and scores them.
func (s *Service) prepare(ctx context.Context, t Target, d Definition, in *Input) (Result, error) {
	in.Comment, in.Reply = strings.TrimSpace(in.Comment), strings.TrimSpace(in.Reply)
	var tr Transcript
	auto := false
	if s.Transcripts != nil && slices.Contains(t.Agent.Licenses, AutoLicense) {
		var err error
		if tr, auto, err = s.Transcripts.Transcript(ctx, t.Call.TenantID, t.Call.ID); err != nil {
			return Result{}, fmt.Errorf("evaluations: transcript: %w", err)
		}
	}
	errs := checkAnswers(d, in.Answers, t.Call.DurationMS, auto)
	for field, text := range map[string]string{"comment": in.Comment, "reply": in.Reply} {
		if utf8.RuneCountInString(text) > MaxCommentLen {
			errs[field] = fmt.Sprintf("at most %d characters", MaxCommentLen)
		}
	}
	if len(errs) > 0 {
		return Result{}, errs
	}
	for i := range in.Answers {
		in.Answers[i].Automatic, in.Answers[i].Note = false, strings.TrimSpace(in.Answers[i].Note)
	}
	if auto {
		in.Answers = autoFill(d, in.Answers, tr)
	}
	order := map[string]int{}
	for i, q := range d.Questions() {
		order[q.ID] = i
	}
	slices.SortFunc(in.Answers, func(a, b Answer) int { return order[a.QuestionID] - order[b.QuestionID] })
	return Score(d, in.Answers), nil
}

// Submit evaluates a call with a form's current version.
func (s *Service) Submit(ctx context.Context, p *caller.Caller, callID string, in Input) (Evaluation, error) {
	t, err := s.Evaluable(ctx, p, callID)
	if err != nil {
		return Evaluation{}, err
	}
	if in.FormID == "" {
		return Evaluation{}, validate.Field("form_id", "pick a form")
	}
	f, err := s.formAt(ctx, p.TenantID, in.FormID, 0)
	if errors.Is(err, ErrNotFound) {
		return Evaluation{}, validate.Field("form_id", "no such form")
	} else if err != nil {
		return Evaluation{}, err
	}
	if f.Archived {
		return Evaluation{}, validate.Field("form_id", "the form is archived")
	}
	res, err := s.prepare(ctx, t, f.Definition, &in)
	if err != nil {
		return Evaluation{}, err
	}
	answers, err := json.Marshal(in.Answers)
	if err != nil {
		return Evaluation{}, err
	}
	now := s.DB.Now()
	row := store.Evaluation{ID: account.NewID(), TenantID: p.TenantID, CallID: callID, AgentID: t.Agent.ID, EvaluatorID: p.User.ID,
		FormID: f.ID, FormVersion: f.Version, Revision: 1, Answers: string(answers), Score: res.Score, CriticalFailed: res.CriticalFailed,
		Comment: in.Comment, Status: store.EvalSubmitted, CallStartedAt: t.Call.StartedAt, CreatedAt: now, UpdatedAt: now}
	err = s.DB.InTx(ctx, func(tx store.Q) error {
		if err := tx.InsertEvaluation(ctx, row); err != nil {
			return err
		}
		return s.audit(ctx, tx, p, "evaluation.submit", "evaluation", row.ID, map[string]any{"call_id": callID, "agent_id": t.Agent.ID,
			"form_id": f.ID, "form_version": f.Version, "score": res.Score, "critical_failed": res.CriticalFailed})
	})
	if err != nil {
		return Evaluation{}, err
	}
	return s.Get(ctx, p, row.ID)
}

// parties works out how the caller stands to an evaluation: its agent,
// an evaluator whose scope (the recordings service's) covers the call's
// user, both or neither.
func (s *Service) parties(ctx context.Context, p *caller.Caller, e store.Evaluation) (agent, reviewer bool, err error) {
	agent = p.Can(roles.EvaluationsViewOwn) && e.AgentID == p.User.ID
	if !p.Can(roles.EvaluationsEval) || e.AgentID == p.User.ID {
		return agent, false, nil
	}
	sc, err := s.Calls.ScopeOf(ctx, p)
	if errors.Is(err, recordings.ErrForbidden) {
		return agent, false, nil
	} else if err != nil {
		return false, false, err
	}
	c, err := s.DB.Q().GetCall(ctx, p.TenantID, e.CallID)
	if errors.Is(err, store.ErrNotFound) {
		c, err = store.Call{RecordedUserID: e.AgentID}, nil // deleted by retention: the agent decides
	} else if err != nil {
		return false, false, err
	}
	c.RecordedUserID = e.AgentID
	return agent, sc.Allows(c), nil
}

// load returns an evaluation the caller is a party to, else ErrNotFound.
func (s *Service) load(ctx context.Context, p *caller.Caller, id string) (store.Evaluation, bool, bool, error) {
	if p.TenantID == "" || !p.Can(roles.EvaluationsEval) && !p.Can(roles.EvaluationsViewOwn) {
		return store.Evaluation{}, false, false, ErrForbidden
	}
	e, err := s.DB.Q().GetEvaluation(ctx, p.TenantID, id)
	if errors.Is(err, store.ErrNotFound) {
		return e, false, false, ErrNotFound
	} else if err != nil {
		return e, false, false, err
	}
	agent, reviewer, err := s.parties(ctx, p, e)
	if err == nil && !agent && !reviewer {
		err = ErrNotFound
	}
	return e, agent, reviewer, err
}

// Get returns one evaluation with its form and revisions.
func (s *Service) Get(ctx context.Context, p *caller.Caller, id string) (Evaluation, error) {
	row, agent, reviewer, err := s.load(ctx, p, id)
	if err != nil {
		return Evaluation{}, err
	}
	e, err := evaluationOf(row)
	if err != nil {
		return e, err
	}
	e.AsAgent, e.AsReview = agent, reviewer
	f, err := s.formAt(ctx, p.TenantID, row.FormID, row.FormVersion)
	if err != nil {
		return e, err
	}
	e.Form = &f.Definition
	e.Revisions, err = s.DB.Q().EvaluationRevisions(ctx, p.TenantID, id)
	return e, err
}

// ListFilter narrows the evaluations listed.
type ListFilter struct {
	Mine    bool // only the caller's own (as the agent)
	AgentID string
	CallID  string
	FormID  string
	Status  string
	Limit   int
}

// Statuses are the values of an evaluation's status.
var Statuses = []string{store.EvalSubmitted, store.EvalAcknowledged, store.EvalDisputed, store.EvalUpheld}

// List returns the evaluations the caller sees, newest first: an
// evaluator those of the users in scope, an agent their own.
func (s *Service) List(ctx context.Context, p *caller.Caller, f ListFilter) ([]Evaluation, error) {
	sf, err := s.scopeFilter(ctx, p, f.Mine)
	if err != nil {
		return nil, err
	}
	if f.Status != "" && !slices.Contains(Statuses, f.Status) {
		return nil, validate.Field("status", "one of "+strings.Join(Statuses, ", "))
	}
	sf.AgentID, sf.CallID, sf.FormID, sf.Status, sf.Limit = f.AgentID, f.CallID, f.FormID, f.Status, f.Limit
	if sf.Limit <= 0 || sf.Limit > 500 {
		sf.Limit = 500
	}
	rows, err := s.DB.Q().Evaluations(ctx, p.TenantID, sf)
	if err != nil {
		return nil, err
	}
	out := make([]Evaluation, 0, len(rows))
	for _, r := range rows {
		e, err := evaluationOf(r)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// scopeFilter is whose evaluations the caller sees, as a store filter.
func (s *Service) scopeFilter(ctx context.Context, p *caller.Caller, mine bool) (store.EvaluationFilter, error) {
	var f store.EvaluationFilter
	if p.TenantID == "" {
		return f, ErrForbidden
	}
	switch {
	case p.Can(roles.EvaluationsEval) && !mine:
		sc, err := s.Calls.ScopeOf(ctx, p)
		if err != nil {
			return f, ErrForbidden
		}
		f.AgentIDs, f.NoConfidential = sc.UserIDs, !sc.Confidential
		if f.AgentIDs != nil && !p.Can(roles.EvaluationsViewOwn) {
			f.AgentIDs = slices.DeleteFunc(slices.Clone(f.AgentIDs), func(id string) bool { return id == p.User.ID })
		}
	case p.Can(roles.EvaluationsViewOwn):
		f.AgentIDs = []string{p.User.ID}
	default:
		return f, ErrForbidden
	}
	return f, nil
}
