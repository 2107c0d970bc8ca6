// Package evaluations is quality evaluation of calls (the Agent
// evaluation license): admins build versioned forms of weighted
// questions; supervisors evaluate the calls of their managed groups'
// licensed members beside the player; agents acknowledge or dispute
// their evaluations and evaluators revise or uphold; reports sum the
// scores up. The portal and the REST API call this one service, which
// decides permission, scope (the recordings service's) and audit.
package evaluations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"callrec/internal/account"
	"callrec/internal/caller"
	"callrec/internal/recordings"
	"callrec/internal/roles"
	"callrec/internal/store"
)

// Sentinel errors the portal and the API map to their answers.
var (
	ErrForbidden = errors.New("evaluations: not allowed")
	ErrNotFound  = errors.New("evaluations: not found")
	// ErrState: the evaluation is not in a state that allows the action
	// (acknowledging a disputed one, upholding one nobody disputed).
	ErrState = errors.New("evaluations: not possible in the evaluation's current state")
)

// NotEvaluableError says why a call cannot be evaluated.
type NotEvaluableError struct{ Reason string }

func (e *NotEvaluableError) Error() string {
	return "evaluations: call cannot be evaluated: " + e.Reason
}

// TranscriptSource gives a call's transcript when one exists (ok false
// when not yet or never). A transcription job provides it; until then
// the service has none and rule questions are answered by hand.
type TranscriptSource interface {
	Transcript(ctx context.Context, tenantID, callID string) (t Transcript, ok bool, err error)
}

// LicenseType is the license a user's calls need to be evaluated, and
// AutoLicense the one automated answers need too (the product guide:
// "Must have Speech Analytics license if automated QA will be used").
const (
	LicenseType = "agent_evaluation"
	AutoLicense = "speech_analytics"
)

// Service is the evaluations workspace.
type Service struct {
	DB       *store.DB
	Accounts *account.Service
	// Calls decides which calls, and so whose evaluations, a caller sees.
	Calls       *recordings.Service
	Transcripts TranscriptSource // nil: no transcripts
}

// Form is a form at one version.
type Form struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Version    int        `json:"version"`
	Archived   bool       `json:"archived"`
	Definition Definition `json:"definition"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

func formOf(f store.EvaluationForm) (Form, error) {
	out := Form{ID: f.ID, Name: f.Name, Version: f.CurrentVersion, Archived: f.Archived, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt}
	if err := json.Unmarshal([]byte(f.Definition), &out.Definition); err != nil {
		return out, fmt.Errorf("evaluations: form %s v%d: %w", f.ID, f.CurrentVersion, err)
	}
	return out, nil
}

// FormInput is a new form or an edit; nil fields keep their values.
type FormInput struct {
	Name       *string     `json:"name"`
	Definition *Definition `json:"definition"`
	Archived   *bool       `json:"archived"`
}

func tenantOf(p *caller.Caller) (string, error) {
	if p.TenantID == "" {
		return "", ErrForbidden
	}
	return p.TenantID, nil
}

// Forms lists the tenant's forms (archived ones when asked) to those who
// build or use them.
func (s *Service) Forms(ctx context.Context, p *caller.Caller, archived bool) ([]Form, error) {
	if !p.Can(roles.EvaluationsManage) && !p.Can(roles.EvaluationsEval) {
		return nil, ErrForbidden
	}
	tid, err := tenantOf(p)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.Q().EvaluationForms(ctx, tid, archived)
	if err != nil {
		return nil, err
	}
	out := make([]Form, 0, len(rows))
	for _, r := range rows {
		f, err := formOf(r)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// Form returns a form of the tenant at its current version.
func (s *Service) Form(ctx context.Context, p *caller.Caller, id string) (Form, error) {
	if !p.Can(roles.EvaluationsManage) && !p.Can(roles.EvaluationsEval) {
		return Form{}, ErrForbidden
	}
	return s.formAt(ctx, p.TenantID, id, 0)
}

func (s *Service) formAt(ctx context.Context, tenantID, id string, version int) (Form, error) {
	if tenantID == "" {
		return Form{}, ErrForbidden
	}
	f, err := s.DB.Q().GetEvaluationForm(ctx, tenantID, id, version)
	if errors.Is(err, store.ErrNotFound) {
		return Form{}, ErrNotFound
	}
	if err != nil {
		return Form{}, err
	}
	return formOf(f)
}

// CreateForm adds a form at version 1.
func (s *Service) CreateForm(ctx context.Context, p *caller.Caller, in FormInput) (Form, error) {
	if !p.Can(roles.EvaluationsManage) {
		return Form{}, ErrForbidden
	}
	tid, err := tenantOf(p)
	if err != nil {
		return Form{}, err
	}
	var f Form
	if in.Name != nil {
		f.Name = strings.TrimSpace(*in.Name)
	}
	if in.Definition != nil {
		f.Definition = *in.Definition
	}
	f.Definition.normalize()
	if errs := validateForm(f.Name, f.Definition); len(errs) > 0 {
		return Form{}, errs
	}
	def, err := json.Marshal(f.Definition)
	if err != nil {
		return Form{}, err
	}
	now := s.DB.Now()
	f.ID, f.Version, f.CreatedAt, f.UpdatedAt = account.NewID(), 1, now, now
	row := store.EvaluationForm{ID: f.ID, TenantID: tid, Name: f.Name, Definition: string(def), CreatedAt: now, UpdatedAt: now}
	return f, s.DB.InTx(ctx, func(tx store.Q) error {
		if err := tx.InsertEvaluationForm(ctx, row, p.User.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, p, "evaluation_form.create", "evaluation_form", f.ID, map[string]any{"name": f.Name, "version": 1})
	})
}

// UpdateForm edits a form. When an evaluation already used its current
// version and the questions change, the edit is a new version, so past
// evaluations keep the form they were made with; an unused version is
// edited in place. A rename or archiving alone makes no version.
func (s *Service) UpdateForm(ctx context.Context, p *caller.Caller, id string, in FormInput) (Form, error) {
	if !p.Can(roles.EvaluationsManage) {
		return Form{}, ErrForbidden
	}
	tid, err := tenantOf(p)
	if err != nil {
		return Form{}, err
	}
	var out Form
	err = s.DB.InTx(ctx, func(tx store.Q) error {
		cur, err := tx.GetEvaluationForm(ctx, tid, id, 0)
		if errors.Is(err, store.ErrNotFound) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		if out, err = formOf(cur); err != nil {
			return err
		}
		if in.Name != nil {
			out.Name = strings.TrimSpace(*in.Name)
		}
		if in.Archived != nil {
			out.Archived = *in.Archived
		}
		changed := false
		if in.Definition != nil {
			d := *in.Definition
			d.normalize()
			old, _ := json.Marshal(out.Definition)
			nw, _ := json.Marshal(d)
			changed, out.Definition = string(old) != string(nw), d
		}
		if errs := validateForm(out.Name, out.Definition); len(errs) > 0 {
			return errs
		}
		newVersion := false
		if changed {
			if newVersion, err = tx.EvaluationFormVersionUsed(ctx, tid, id, cur.CurrentVersion); err != nil {
				return err
			}
		}
		if newVersion {
			out.Version++
		}
		def, err := json.Marshal(out.Definition)
		if err != nil {
			return err
		}
		out.UpdatedAt = s.DB.Now()
		row := store.EvaluationForm{ID: id, TenantID: tid, Name: out.Name, CurrentVersion: out.Version, Archived: out.Archived,
			Definition: string(def), UpdatedAt: out.UpdatedAt}
		if err := tx.SaveEvaluationForm(ctx, row, newVersion, p.User.ID); err != nil {
			return err
		}
		return s.audit(ctx, tx, p, "evaluation_form.update", "evaluation_form", id,
			map[string]any{"name": out.Name, "version": out.Version, "new_version": newVersion, "archived": out.Archived})
	})
	return out, err
}

// audit writes an entry in tx, the transaction of the change it records.
func (s *Service) audit(ctx context.Context, tx store.Q, p *caller.Caller, action, objType, id string, detail any) error {
	if err := s.Accounts.Audit(ctx, tx, p.Actor(), p.TenantID, action, objType, id, detail); err != nil {
		return fmt.Errorf("evaluations: audit %s: %w", action, err)
	}
	return nil
}
