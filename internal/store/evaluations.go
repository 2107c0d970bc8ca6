package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// EvaluationForm is a QA form with its current version's definition (the
// JSON document of sections and questions the evaluations service reads).
type EvaluationForm struct {
	ID             string    `json:"id"`
	TenantID       string    `json:"-"`
	Name           string    `json:"name"`
	CurrentVersion int       `json:"version"`
	Archived       bool      `json:"archived"`
	Definition     string    `json:"-"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// InsertEvaluationForm adds a form of the tenant with its first version.
func (q Q) InsertEvaluationForm(ctx context.Context, f EvaluationForm, by string) error {
	_, err := q.exec(ctx, `INSERT INTO evaluation_forms (id, tenant_id, name, current_version, archived, created_at, updated_at)
		VALUES (?, ?, ?, 1, ?, ?, ?)`, f.ID, f.TenantID, f.Name, f.Archived, f.CreatedAt, f.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store: insert evaluation form: %w", err)
	}
	_, err = q.exec(ctx, `INSERT INTO evaluation_form_versions (tenant_id, form_id, version, definition, created_by, created_at)
		VALUES (?, ?, 1, ?, ?, ?)`, f.TenantID, f.ID, f.Definition, by, f.CreatedAt)
	if err != nil {
		return fmt.Errorf("store: insert evaluation form version: %w", err)
	}
	return nil
}

// SaveEvaluationForm stores an edit of a form of the tenant: as a new
// version when newVersion (the current one is in use), else in place of
// the current version. f.CurrentVersion is the version to write.
func (q Q) SaveEvaluationForm(ctx context.Context, f EvaluationForm, newVersion bool, by string) error {
	err := affectedOne(q.exec(ctx, `UPDATE evaluation_forms SET name = ?, current_version = ?, archived = ?, updated_at = ?
		WHERE tenant_id = ? AND id = ?`, f.Name, f.CurrentVersion, f.Archived, f.UpdatedAt, f.TenantID, f.ID))
	if err != nil {
		return fmt.Errorf("store: save evaluation form: %w", err)
	}
	if newVersion {
		_, err = q.exec(ctx, `INSERT INTO evaluation_form_versions (tenant_id, form_id, version, definition, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, f.TenantID, f.ID, f.CurrentVersion, f.Definition, by, f.UpdatedAt)
	} else {
		err = affectedOne(q.exec(ctx, `UPDATE evaluation_form_versions SET definition = ?, created_by = ?
			WHERE tenant_id = ? AND form_id = ? AND version = ?`, f.Definition, by, f.TenantID, f.ID, f.CurrentVersion))
	}
	if err != nil {
		return fmt.Errorf("store: save evaluation form version: %w", err)
	}
	return nil
}

const formCols = `f.id, f.tenant_id, f.name, f.current_version, f.archived, v.definition, f.created_at, f.updated_at`

func scanForm(s interface{ Scan(...any) error }) (EvaluationForm, error) {
	var f EvaluationForm
	err := s.Scan(&f.ID, &f.TenantID, &f.Name, &f.CurrentVersion, &f.Archived, &f.Definition, &f.CreatedAt, &f.UpdatedAt)
	f.CreatedAt, f.UpdatedAt = f.CreatedAt.UTC(), f.UpdatedAt.UTC()
	return f, mapErr(err)
}

// GetEvaluationForm returns a form of the tenant at a version (0: its
// current version); CurrentVersion is then the version returned.
func (q Q) GetEvaluationForm(ctx context.Context, tenantID, id string, version int) (EvaluationForm, error) {
	f, err := scanForm(q.row(ctx, `SELECT `+formCols+` FROM evaluation_forms f JOIN evaluation_form_versions v
		ON v.tenant_id = f.tenant_id AND v.form_id = f.id AND v.version = CASE WHEN ? > 0 THEN ? ELSE f.current_version END
		WHERE f.tenant_id = ? AND f.id = ?`, version, version, tenantID, id))
	if err != nil {
		return f, fmt.Errorf("store: get evaluation form: %w", err)
	}
	if version > 0 {
		f.CurrentVersion = version
	}
	return f, nil
}

// EvaluationForms lists the tenant's forms by name, with their current
// definitions; archived ones only when asked.
func (q Q) EvaluationForms(ctx context.Context, tenantID string, archived bool) ([]EvaluationForm, error) {
	rows, err := q.query(ctx, `SELECT `+formCols+` FROM evaluation_forms f JOIN evaluation_form_versions v
		ON v.tenant_id = f.tenant_id AND v.form_id = f.id AND v.version = f.current_version
		WHERE f.tenant_id = ? AND (? OR NOT f.archived) ORDER BY f.name, f.id LIMIT 500`, tenantID, archived)
	if err != nil {
		return nil, fmt.Errorf("store: evaluation forms: %w", err)
	}
	defer rows.Close()
	out := []EvaluationForm{}
	for rows.Next() {
		f, err := scanForm(rows)
		if err != nil {
			return nil, fmt.Errorf("store: evaluation forms: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// EvaluationFormVersionUsed reports whether an evaluation of the tenant
// was made with the form's version.
func (q Q) EvaluationFormVersionUsed(ctx context.Context, tenantID, formID string, version int) (bool, error) {
	var n int
	err := q.row(ctx, `SELECT COUNT(*) FROM evaluations WHERE tenant_id = ? AND form_id = ? AND form_version = ?`,
		tenantID, formID, version).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: form version used: %w", mapErr(err))
	}
	return n > 0, nil
}

// Evaluation statuses.
const (
	EvalSubmitted    = "submitted"
	EvalAcknowledged = "acknowledged"
	EvalDisputed     = "disputed"
	EvalUpheld       = "upheld"
)

// Evaluation is one call's evaluation at its current revision. Answers
// is the JSON the evaluations service writes.
type Evaluation struct {
	ID             string
	TenantID       string
	CallID         string
	AgentID        string
	EvaluatorID    string
	FormID         string
	FormVersion    int
	Revision       int
	Answers        string
	Score          float64
	CriticalFailed bool
	Comment        string
	Status         string
	AgentComment   string
	Reply          string
	CallStartedAt  time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// Read only, joined for lists.
	AgentName, EvaluatorName, FormName string
}

// InsertEvaluation adds an evaluation at revision 1, with its revision row.
func (q Q) InsertEvaluation(ctx context.Context, e Evaluation) error {
	_, err := q.exec(ctx, `INSERT INTO evaluations (id, tenant_id, call_id, agent_id, evaluator_id, form_id, form_version, revision,
		answers, score, critical_failed, comment, status, call_started_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)`, e.ID, e.TenantID, e.CallID, e.AgentID, e.EvaluatorID, e.FormID,
		e.FormVersion, e.Answers, e.Score, e.CriticalFailed, e.Comment, e.Status, e.CallStartedAt, e.CreatedAt, e.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store: insert evaluation: %w", err)
	}
	e.Revision = 1
	return q.insertRevision(ctx, e)
}

func (q Q) insertRevision(ctx context.Context, e Evaluation) error {
	_, err := q.exec(ctx, `INSERT INTO evaluation_revisions (tenant_id, evaluation_id, revision, evaluator_id, answers, score,
		critical_failed, comment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.TenantID, e.ID, e.Revision, e.EvaluatorID,
		e.Answers, e.Score, e.CriticalFailed, e.Comment, e.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store: insert evaluation revision: %w", err)
	}
	return nil
}

// ReviseEvaluation stores e as the evaluation's next revision (e.Revision)
// if the evaluation is still at e.Revision-1 and in one of the statuses
// from; else ErrNotFound and nothing changes.
func (q Q) ReviseEvaluation(ctx context.Context, e Evaluation, from ...string) error {
	args := []any{e.Revision, e.EvaluatorID, e.Answers, e.Score, e.CriticalFailed, e.Comment, e.Status, e.Reply, e.UpdatedAt,
		e.TenantID, e.ID, e.Revision - 1}
	err := affectedOne(q.exec(ctx, `UPDATE evaluations SET revision = ?, evaluator_id = ?, answers = ?, score = ?, critical_failed = ?,
		comment = ?, status = ?, reply = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND revision = ? AND status IN (`+
		marks(len(from))+`)`, append(args, strs(from)...)...))
	if err != nil {
		return fmt.Errorf("store: revise evaluation: %w", err)
	}
	return q.insertRevision(ctx, e)
}

// SetEvaluationStatus moves an evaluation of the tenant to status with the
// agent's comment or the evaluator's reply, if it is in one of the
// statuses from; else ErrNotFound and nothing changes.
func (q Q) SetEvaluationStatus(ctx context.Context, tenantID, id, status, agentComment, reply string, at time.Time, from ...string) error {
	args := []any{status, agentComment, reply, at, tenantID, id}
	err := affectedOne(q.exec(ctx, `UPDATE evaluations SET status = ?, agent_comment = ?, reply = ?, updated_at = ?
		WHERE tenant_id = ? AND id = ? AND status IN (`+marks(len(from))+`)`, append(args, strs(from)...)...))
	if err != nil {
		return fmt.Errorf("store: evaluation status: %w", err)
	}
	return nil
}

const evalCols = `e.id, e.tenant_id, e.call_id, e.agent_id, e.evaluator_id, e.form_id, e.form_version, e.revision, e.answers, e.score,
	e.critical_failed, e.comment, e.status, e.agent_comment, e.reply, e.call_started_at, e.created_at, e.updated_at,
	COALESCE(a.name, ''), COALESCE(r.name, ''), COALESCE(f.name, '')`

const evalFrom = ` FROM evaluations e
	LEFT JOIN users a ON a.tenant_id = e.tenant_id AND a.id = e.agent_id
	LEFT JOIN users r ON r.tenant_id = e.tenant_id AND r.id = e.evaluator_id
	LEFT JOIN evaluation_forms f ON f.tenant_id = e.tenant_id AND f.id = e.form_id`

func scanEvaluation(s interface{ Scan(...any) error }) (Evaluation, error) {
	var e Evaluation
	err := s.Scan(&e.ID, &e.TenantID, &e.CallID, &e.AgentID, &e.EvaluatorID, &e.FormID, &e.FormVersion, &e.Revision, &e.Answers,
		&e.Score, &e.CriticalFailed, &e.Comment, &e.Status, &e.AgentComment, &e.Reply, &e.CallStartedAt, &e.CreatedAt, &e.UpdatedAt,
		&e.AgentName, &e.EvaluatorName, &e.FormName)
	e.CallStartedAt, e.CreatedAt, e.UpdatedAt = e.CallStartedAt.UTC(), e.CreatedAt.UTC(), e.UpdatedAt.UTC()
	return e, mapErr(err)
}

// GetEvaluation returns an evaluation of the tenant.
func (q Q) GetEvaluation(ctx context.Context, tenantID, id string) (Evaluation, error) {
	e, err := scanEvaluation(q.row(ctx, `SELECT `+evalCols+evalFrom+` WHERE e.tenant_id = ? AND e.id = ?`, tenantID, id))
	if err != nil {
		return e, fmt.Errorf("store: get evaluation: %w", err)
	}
	return e, nil
}

// EvaluationFilter narrows a list of evaluations.
type EvaluationFilter struct {
	// AgentIDs is the caller's scope: nil the whole tenant, empty nothing.
	AgentIDs []string
	// NoConfidential leaves out evaluations of confidential calls.
	NoConfidential bool
	AgentID        string
	CallID         string
	FormID         string
	Status         string
	From, To       *time.Time // the evaluation's creation, [From, To)
	Limit          int
}

// Evaluations lists the tenant's evaluations matching f, newest first.
func (q Q) Evaluations(ctx context.Context, tenantID string, f EvaluationFilter) ([]Evaluation, error) {
	where := []string{"e.tenant_id = ?"}
	args := []any{tenantID}
	add := func(cond string, a ...any) { where, args = append(where, cond), append(args, a...) }
	if f.AgentIDs != nil {
		if len(f.AgentIDs) == 0 {
			return []Evaluation{}, nil
		}
		add("e.agent_id IN ("+marks(len(f.AgentIDs))+")", strs(f.AgentIDs)...)
	}
	if f.NoConfidential {
		add(`NOT EXISTS (SELECT 1 FROM calls c WHERE c.tenant_id = e.tenant_id AND c.id = e.call_id AND c.confidential)`)
	}
	for col, v := range map[string]string{"e.agent_id": f.AgentID, "e.call_id": f.CallID, "e.form_id": f.FormID, "e.status": f.Status} {
		if v != "" {
			add(col+" = ?", v)
		}
	}
	if f.From != nil {
		add("e.created_at >= ?", f.From.UTC())
	}
	if f.To != nil {
		add("e.created_at < ?", f.To.UTC())
	}
	limit := f.Limit
	if limit <= 0 || limit > 20000 {
		limit = 20000
	}
	rows, err := q.query(ctx, `SELECT `+evalCols+evalFrom+` WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY e.created_at DESC, e.id DESC LIMIT %d`, limit), args...)
	if err != nil {
		return nil, fmt.Errorf("store: evaluations: %w", err)
	}
	defer rows.Close()
	out := []Evaluation{}
	for rows.Next() {
		e, err := scanEvaluation(rows)
		if err != nil {
			return nil, fmt.Errorf("store: evaluations: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// EvaluationRevision is one revision of an evaluation.
type EvaluationRevision struct {
	Revision       int       `json:"revision"`
	EvaluatorID    string    `json:"evaluator_id"`
	Answers        string    `json:"-"`
	Score          float64   `json:"score"`
	CriticalFailed bool      `json:"critical_failed"`
	Comment        string    `json:"comment"`
	CreatedAt      time.Time `json:"created_at"`
}

// EvaluationRevisions lists an evaluation's revisions, oldest first.
func (q Q) EvaluationRevisions(ctx context.Context, tenantID, id string) ([]EvaluationRevision, error) {
	rows, err := q.query(ctx, `SELECT revision, evaluator_id, answers, score, critical_failed, comment, created_at
		FROM evaluation_revisions WHERE tenant_id = ? AND evaluation_id = ? ORDER BY revision`, tenantID, id)
	if err != nil {
		return nil, fmt.Errorf("store: evaluation revisions: %w", err)
	}
	defer rows.Close()
	out := []EvaluationRevision{}
	for rows.Next() {
		var r EvaluationRevision
		if err := rows.Scan(&r.Revision, &r.EvaluatorID, &r.Answers, &r.Score, &r.CriticalFailed, &r.Comment, &r.CreatedAt); err != nil {
			return nil, fmt.Errorf("store: evaluation revisions: %w", mapErr(err))
		}
		r.CreatedAt = r.CreatedAt.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// marks is n comma-separated placeholders.
func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

func strs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
