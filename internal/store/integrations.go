package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Integration is a tenant's connection to an outside platform (Microsoft
// Teams). Config and Resources are JSON owned by the integration package;
// TokensEnc is encrypted before it reaches the store.
type Integration struct {
	ID            string
	TenantID      string
	Kind          string
	Mode          string
	Status        string
	AuthorizedBy  string
	OrgDomain     string
	OrgID         string
	AdminConsent  bool
	Config        string
	Resources     string
	TokensEnc     string
	OAuthState    string
	OAuthVerifier string
	OAuthPurpose  string
	JobKind       string
	JobState      string
	JobOptions    string
	LeaseOwner    string
	LeaseUntil    *time.Time
	NotBefore     *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

const integrationCols = `id, tenant_id, kind, mode, status, authorized_by, org_domain, org_id, admin_consent, config, resources,
	tokens_enc, oauth_state, oauth_verifier, oauth_purpose, job_kind, job_state, job_options, job_lease_owner, job_lease_until,
	job_not_before, created_at, updated_at`

func scanIntegration(s interface{ Scan(...any) error }) (Integration, error) {
	var i Integration
	var lease, notBefore sql.NullTime
	err := s.Scan(&i.ID, &i.TenantID, &i.Kind, &i.Mode, &i.Status, &i.AuthorizedBy, &i.OrgDomain, &i.OrgID, &i.AdminConsent,
		&i.Config, &i.Resources, &i.TokensEnc, &i.OAuthState, &i.OAuthVerifier, &i.OAuthPurpose, &i.JobKind, &i.JobState,
		&i.JobOptions, &i.LeaseOwner, &lease, &notBefore, &i.CreatedAt, &i.UpdatedAt)
	i.LeaseUntil, i.NotBefore = timePtr(lease), timePtr(notBefore)
	return i, mapErr(err)
}

// InsertIntegration stores a new integration; a second one of the same kind
// in a tenant is ErrConflict.
func (q Q) InsertIntegration(ctx context.Context, i Integration) error {
	_, err := q.exec(ctx, `INSERT INTO integrations (`+integrationCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		i.ID, i.TenantID, i.Kind, i.Mode, i.Status, i.AuthorizedBy, i.OrgDomain, i.OrgID, i.AdminConsent, i.Config, i.Resources,
		i.TokensEnc, i.OAuthState, i.OAuthVerifier, i.OAuthPurpose, i.JobKind, i.JobState, i.JobOptions, i.LeaseOwner,
		nullTime(i.LeaseUntil), nullTime(i.NotBefore), i.CreatedAt, i.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store: insert integration: %w", err)
	}
	return nil
}

// UpdateIntegration writes every field of the integration back.
func (q Q) UpdateIntegration(ctx context.Context, i Integration) error {
	err := affectedOne(q.exec(ctx, `UPDATE integrations SET mode = ?, status = ?, authorized_by = ?, org_domain = ?, org_id = ?,
		admin_consent = ?, config = ?, resources = ?, tokens_enc = ?, oauth_state = ?, oauth_verifier = ?, oauth_purpose = ?,
		job_kind = ?, job_state = ?, job_options = ?, job_lease_owner = ?, job_lease_until = ?, job_not_before = ?, updated_at = ?
		WHERE tenant_id = ? AND id = ?`,
		i.Mode, i.Status, i.AuthorizedBy, i.OrgDomain, i.OrgID, i.AdminConsent, i.Config, i.Resources, i.TokensEnc, i.OAuthState,
		i.OAuthVerifier, i.OAuthPurpose, i.JobKind, i.JobState, i.JobOptions, i.LeaseOwner, nullTime(i.LeaseUntil),
		nullTime(i.NotBefore), i.UpdatedAt, i.TenantID, i.ID))
	if err != nil {
		return fmt.Errorf("store: update integration: %w", err)
	}
	return nil
}

// GetIntegration returns the tenant's integration of a kind.
func (q Q) GetIntegration(ctx context.Context, tenantID, kind string) (Integration, error) {
	i, err := scanIntegration(q.row(ctx, `SELECT `+integrationCols+` FROM integrations WHERE tenant_id = ? AND kind = ?`, tenantID, kind))
	if err != nil {
		return i, fmt.Errorf("store: get integration: %w", err)
	}
	return i, nil
}

// ListIntegrations returns the tenant's integrations.
func (q Q) ListIntegrations(ctx context.Context, tenantID string) ([]Integration, error) {
	return q.integrations(ctx, "list integrations", `SELECT `+integrationCols+` FROM integrations WHERE tenant_id = ? ORDER BY kind`, tenantID)
}

// integrations runs a query for integration rows; op names it in errors.
func (q Q) integrations(ctx context.Context, op, query string, args ...any) ([]Integration, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", op, err)
	}
	defer rows.Close()
	var out []Integration
	for rows.Next() {
		i, err := scanIntegration(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	return out, rows.Err()
}

// DeleteIntegration removes a tenant's integration record.
func (q Q) DeleteIntegration(ctx context.Context, tenantID, id string) error {
	return affectedOne(q.exec(ctx, `DELETE FROM integrations WHERE tenant_id = ? AND id = ?`, tenantID, id))
}

// ClaimIntegrationJob takes one runnable job — queued and due, or running
// under an expired lease (its worker died) — for owner until leaseUntil.
// It spans tenants because it is the job runner; everything it then does
// is scoped by the claimed row's tenant.
func (q Q) ClaimIntegrationJob(ctx context.Context, owner string, now, leaseUntil time.Time) (Integration, bool, error) {
	const runnable = `((job_state = 'queued' AND (job_not_before IS NULL OR job_not_before <= ?))
		OR (job_state = 'running' AND job_lease_until < ?))`
	var id string
	err := q.row(ctx, `SELECT id FROM integrations WHERE `+runnable+` ORDER BY updated_at LIMIT 1`, now, now).Scan(&id)
	if err != nil {
		if mapErr(err) == ErrNotFound {
			return Integration{}, false, nil
		}
		return Integration{}, false, fmt.Errorf("store: claim job: %w", err)
	}
	res, err := q.exec(ctx, `UPDATE integrations SET job_state = 'running', job_lease_owner = ?, job_lease_until = ?
		WHERE id = ? AND `+runnable, owner, leaseUntil, id, now, now)
	if err != nil {
		return Integration{}, false, fmt.Errorf("store: claim job: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Integration{}, false, nil // another worker was faster
	}
	i, err := scanIntegration(q.row(ctx, `SELECT `+integrationCols+` FROM integrations WHERE id = ?`, id))
	return i, err == nil, err
}

// RenewIntegrationLease extends the lease while the owner still holds it.
func (q Q) RenewIntegrationLease(ctx context.Context, tenantID, id, owner string, until time.Time) error {
	return affectedOne(q.exec(ctx, `UPDATE integrations SET job_lease_until = ? WHERE tenant_id = ? AND id = ? AND job_lease_owner = ? AND job_state = 'running'`,
		until, tenantID, id, owner))
}

// IntegrationStep is one line of a job's progress.
type IntegrationStep struct {
	Position  int       `json:"position"`
	Step      string    `json:"step"`
	Title     string    `json:"title"`
	Status    string    `json:"status"`
	Message   string    `json:"message"`
	Attempts  int       `json:"attempts"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ReplaceIntegrationSteps resets a job's step list.
func (q Q) ReplaceIntegrationSteps(ctx context.Context, tenantID, integrationID, jobKind string, steps []IntegrationStep) error {
	if _, err := q.exec(ctx, `DELETE FROM integration_steps WHERE tenant_id = ? AND integration_id = ? AND job_kind = ?`, tenantID, integrationID, jobKind); err != nil {
		return fmt.Errorf("store: clear steps: %w", err)
	}
	for _, s := range steps {
		if _, err := q.exec(ctx, `INSERT INTO integration_steps (tenant_id, integration_id, job_kind, position, step, title, status, message, attempts, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, tenantID, integrationID, jobKind, s.Position, s.Step, s.Title, s.Status, s.Message, s.Attempts, s.UpdatedAt); err != nil {
			return fmt.Errorf("store: insert step: %w", err)
		}
	}
	return nil
}

// UpdateIntegrationStep records a step's status and message.
func (q Q) UpdateIntegrationStep(ctx context.Context, tenantID, integrationID, jobKind string, s IntegrationStep) error {
	return affectedOne(q.exec(ctx, `UPDATE integration_steps SET status = ?, message = ?, attempts = ?, updated_at = ?
		WHERE tenant_id = ? AND integration_id = ? AND job_kind = ? AND step = ?`, s.Status, s.Message, s.Attempts, s.UpdatedAt,
		tenantID, integrationID, jobKind, s.Step))
}

// IntegrationSteps lists a job's steps in order.
func (q Q) IntegrationSteps(ctx context.Context, tenantID, integrationID, jobKind string) ([]IntegrationStep, error) {
	rows, err := q.query(ctx, `SELECT position, step, title, status, message, attempts, updated_at FROM integration_steps
		WHERE tenant_id = ? AND integration_id = ? AND job_kind = ? ORDER BY position`, tenantID, integrationID, jobKind)
	if err != nil {
		return nil, fmt.Errorf("store: steps: %w", err)
	}
	defer rows.Close()
	out := []IntegrationStep{}
	for rows.Next() {
		var s IntegrationStep
		if err := rows.Scan(&s.Position, &s.Step, &s.Title, &s.Status, &s.Message, &s.Attempts, &s.UpdatedAt); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// UpdateIntegrationTokens stores renewed (encrypted) tokens alone, so a
// running job's token refresh does not overwrite other fields.
func (q Q) UpdateIntegrationTokens(ctx context.Context, tenantID, id, tokensEnc string, at time.Time) error {
	return affectedOne(q.exec(ctx, `UPDATE integrations SET tokens_enc = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`, tokensEnc, at, tenantID, id))
}

// UpdateIntegrationResources stores what a running job made, alone.
func (q Q) UpdateIntegrationResources(ctx context.Context, tenantID, id, resources, orgDomain string, at time.Time) error {
	return affectedOne(q.exec(ctx, `UPDATE integrations SET resources = ?, org_domain = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
		resources, orgDomain, at, tenantID, id))
}
