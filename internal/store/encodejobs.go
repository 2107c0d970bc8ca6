package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// States of an encode job.
const (
	EncodeQueued  = "queued"  // offered, nobody holds it
	EncodeRunning = "running" // held under a lease (or deferred after a failure)
	EncodeDone    = "done"    // stored; the recorder releases its spool and deletes the row
)

// EncodeJob is an ended call a recorder node offers to be compressed and
// stored by any node: its audio is the mix in RecorderNode's spool.
type EncodeJob struct {
	TenantID     string
	CallID       string
	RecorderNode string
	AudioMS      int64
	State        string
	LeaseOwner   string
	LeaseUntil   *time.Time
	Attempts     int
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

const encodeJobCols = `tenant_id, call_id, recorder_node, audio_ms, state, lease_owner, lease_until, attempts, created_at, updated_at`

func scanEncodeJob(s interface{ Scan(...any) error }) (EncodeJob, error) {
	var j EncodeJob
	var lease sql.NullTime
	err := s.Scan(&j.TenantID, &j.CallID, &j.RecorderNode, &j.AudioMS, &j.State, &j.LeaseOwner, &lease, &j.Attempts, &j.CreatedAt, &j.UpdatedAt)
	j.LeaseUntil = timePtr(lease)
	j.CreatedAt, j.UpdatedAt = j.CreatedAt.UTC(), j.UpdatedAt.UTC()
	return j, mapErr(err)
}

// OfferEncodeJob queues a call for encoding; offering it again (a
// recorder restarted) keeps the row as it is.
func (q Q) OfferEncodeJob(ctx context.Context, j EncodeJob) error {
	now := q.Now()
	_, err := q.exec(ctx, `INSERT INTO encode_jobs (`+encodeJobCols+`) VALUES (?, ?, ?, ?, ?, '', NULL, 0, ?, ?)
		ON CONFLICT (tenant_id, call_id) DO NOTHING`, j.TenantID, j.CallID, j.RecorderNode, j.AudioMS, EncodeQueued, now, now)
	if err != nil {
		return fmt.Errorf("store: offer encode job: %w", err)
	}
	return nil
}

// EncodeClaim says which job a claim may take.
type EncodeClaim struct {
	Owner      string    // who takes the lease
	Now        time.Time // the claimer's clock: leases before it have run out
	LeaseUntil time.Time
	// Node, when set, limits the claim to jobs that node offered (a
	// recorder taking back its own).
	Node string
	// NotNode, when set, skips jobs that node offered (a worker beside a
	// recorder leaves it its own: they share the CPUs anyway).
	NotNode string
	// OfferedBefore, when set, skips jobs offered later (a recorder leaves
	// workers the first chance).
	OfferedBefore time.Time
}

// ClaimEncodeJob takes the oldest runnable job — queued, or running under
// a lease that ran out — for c.Owner until c.LeaseUntil, counting the
// attempt. On PostgreSQL concurrent claimers skip each other's rows (FOR
// UPDATE SKIP LOCKED); SQLite serialises writers. It spans tenants because
// it is the job runner; what it then does is scoped by the row's tenant.
func (q Q) ClaimEncodeJob(ctx context.Context, c EncodeClaim) (EncodeJob, bool, error) {
	now := c.Now.UTC()
	where := `(state = ? OR (state = ? AND lease_until < ?))`
	// In the order of the placeholders: the SET, then the WHERE.
	args := []any{c.Owner, c.LeaseUntil.UTC(), now, EncodeQueued, EncodeRunning, now}
	if c.Node != "" {
		where += ` AND recorder_node = ?`
		args = append(args, c.Node)
	}
	if c.NotNode != "" {
		where += ` AND recorder_node <> ?`
		args = append(args, c.NotNode)
	}
	if !c.OfferedBefore.IsZero() {
		where += ` AND created_at <= ?`
		args = append(args, c.OfferedBefore.UTC())
	}
	lock := ""
	if q.db.dialect == Postgres {
		lock = ` FOR UPDATE SKIP LOCKED`
	}
	j, err := scanEncodeJob(q.row(ctx, `UPDATE encode_jobs SET state = 'running', lease_owner = ?, lease_until = ?,
		attempts = attempts + 1, updated_at = ?
		WHERE (tenant_id, call_id) = (SELECT tenant_id, call_id FROM encode_jobs WHERE `+where+`
			ORDER BY created_at LIMIT 1`+lock+`)
		RETURNING `+encodeJobCols, args...))
	if err == ErrNotFound {
		return EncodeJob{}, false, nil
	}
	if err != nil {
		return EncodeJob{}, false, fmt.Errorf("store: claim encode job: %w", err)
	}
	return j, true, nil
}

// RenewEncodeLease moves a held lease to until: to keep it while working,
// or to defer the next attempt after a failure. ErrNotFound means the
// lease is no longer owner's.
func (q Q) RenewEncodeLease(ctx context.Context, tenantID, callID, owner string, until time.Time) error {
	return affectedOne(q.exec(ctx, `UPDATE encode_jobs SET lease_until = ?, updated_at = ?
		WHERE tenant_id = ? AND call_id = ? AND lease_owner = ? AND state = 'running'`,
		until.UTC(), q.Now(), tenantID, callID, owner))
}

// CompleteEncodeJob marks a job stored, only while owner holds its lease:
// run it in the transaction that records the audio, so a holder whose
// lease ran out (ErrNotFound) stores nothing.
func (q Q) CompleteEncodeJob(ctx context.Context, tenantID, callID, owner string) error {
	return affectedOne(q.exec(ctx, `UPDATE encode_jobs SET state = 'done', lease_until = NULL, updated_at = ?
		WHERE tenant_id = ? AND call_id = ? AND lease_owner = ? AND state = 'running'`, q.Now(), tenantID, callID, owner))
}

// GetEncodeJob returns a call's job, or ErrNotFound.
func (q Q) GetEncodeJob(ctx context.Context, tenantID, callID string) (EncodeJob, error) {
	j, err := scanEncodeJob(q.row(ctx, `SELECT `+encodeJobCols+` FROM encode_jobs WHERE tenant_id = ? AND call_id = ?`, tenantID, callID))
	if err != nil {
		return j, fmt.Errorf("store: encode job: %w", err)
	}
	return j, nil
}

// EncodeJobsOf lists the jobs a recorder node offered, of every tenant:
// the node settles them (its spool is not tenant data).
func (q Q) EncodeJobsOf(ctx context.Context, node string) ([]EncodeJob, error) {
	rows, err := q.query(ctx, `SELECT `+encodeJobCols+` FROM encode_jobs WHERE recorder_node = ? ORDER BY created_at`, node)
	if err != nil {
		return nil, fmt.Errorf("store: encode jobs: %w", err)
	}
	defer rows.Close()
	var out []EncodeJob
	for rows.Next() {
		j, err := scanEncodeJob(rows)
		if err != nil {
			return nil, fmt.Errorf("store: encode jobs: %w", err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// DeleteEncodeJob removes a settled job.
func (q Q) DeleteEncodeJob(ctx context.Context, tenantID, callID string) error {
	if _, err := q.exec(ctx, `DELETE FROM encode_jobs WHERE tenant_id = ? AND call_id = ?`, tenantID, callID); err != nil {
		return fmt.Errorf("store: delete encode job: %w", err)
	}
	return nil
}
