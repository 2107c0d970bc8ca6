package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Transcript job states.
const (
	TranscriptQueued  = "queued"
	TranscriptRunning = "running"
	TranscriptDone    = "done"
	TranscriptFailed  = "failed"
)

// TranscriptJob is a call's place in the transcription queue.
type TranscriptJob struct {
	CallID        string
	TenantID      string
	State         string
	LicenseType   string
	Attempts      int
	NotBefore     *time.Time
	LeaseOwner    string
	ProgressDone  int
	ProgressTotal int
	Error         string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Transcript is a call's transcript header; Body is every line's text.
type Transcript struct {
	CallID      string
	TenantID    string
	Engine      string
	LicenseType string
	Body        string
	Keywords    string
	CreatedAt   time.Time
}

// TranscriptLine is one line of dialogue; Words is the engine's words as
// JSON ([{"text","start_ms","end_ms","confidence"}]).
type TranscriptLine struct {
	Channel string
	StartMS int64
	EndMS   int64
	Text    string
	Words   string
}

const transcriptJobCols = `call_id, tenant_id, state, license_type, attempts, not_before, lease_owner, progress_done, progress_total, error, created_at, updated_at`

func scanTranscriptJob(s interface{ Scan(...any) error }) (TranscriptJob, error) {
	var j TranscriptJob
	var nb sql.NullTime
	err := s.Scan(&j.CallID, &j.TenantID, &j.State, &j.LicenseType, &j.Attempts, &nb, &j.LeaseOwner, &j.ProgressDone,
		&j.ProgressTotal, &j.Error, &j.CreatedAt, &j.UpdatedAt)
	if nb.Valid {
		t := nb.Time
		j.NotBefore = &t
	}
	return j, mapErr(err)
}

// QueueTranscriptIfLicensed queues a stored call for transcription when its
// recorded user holds a speech analytics license, remembering the user's
// type; it reports whether a job was queued. A call already queued keeps
// its job. It runs in the transaction that stores the call's audio, so a
// stored call is never without its job.
func (q Q) QueueTranscriptIfLicensed(ctx context.Context, tenantID, callID string) (bool, error) {
	now := q.Now()
	res, err := q.exec(ctx, `INSERT INTO transcript_jobs (call_id, tenant_id, state, license_type, created_at, updated_at)
		SELECT c.id, c.tenant_id, 'queued', u.speech_analytics_type, ?, ?
		FROM calls c JOIN users u ON u.tenant_id = c.tenant_id AND u.id = c.recorded_user_id
		JOIN user_licenses l ON l.tenant_id = u.tenant_id AND l.user_id = u.id AND l.license_type = 'speech_analytics'
		WHERE c.tenant_id = ? AND c.id = ?
		ON CONFLICT (call_id) DO NOTHING`, now, now, tenantID, callID)
	if err != nil {
		return false, fmt.Errorf("store: queue transcript: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RequeueTranscript queues the call's transcription again from the start
// (re-run on demand), with licenseType, whatever state its job was in.
func (q Q) RequeueTranscript(ctx context.Context, tenantID, callID, licenseType string) error {
	now := q.Now()
	_, err := q.exec(ctx, `INSERT INTO transcript_jobs (call_id, tenant_id, state, license_type, created_at, updated_at)
		VALUES (?, ?, 'queued', ?, ?, ?)
		ON CONFLICT (call_id) DO UPDATE SET state = 'queued', license_type = excluded.license_type, attempts = 0, not_before = NULL,
			lease_owner = '', lease_until = NULL, progress_done = 0, progress_total = 0, error = '', updated_at = excluded.updated_at
		WHERE transcript_jobs.tenant_id = excluded.tenant_id`, callID, tenantID, licenseType, now, now)
	if err != nil {
		return fmt.Errorf("store: requeue transcript: %w", err)
	}
	return nil
}

// ClaimTranscriptJob takes the oldest runnable job — queued and due, or
// running under an expired lease — for owner until leaseUntil. It spans
// tenants because it is the job runner; everything done with the job is
// scoped by its tenant.
func (q Q) ClaimTranscriptJob(ctx context.Context, owner string, now, leaseUntil time.Time) (TranscriptJob, bool, error) {
	const runnable = `((state = 'queued' AND (not_before IS NULL OR not_before <= ?)) OR (state = 'running' AND lease_until < ?))`
	var id string
	err := q.row(ctx, `SELECT call_id FROM transcript_jobs WHERE `+runnable+` ORDER BY created_at LIMIT 1`, now, now).Scan(&id)
	if mapErr(err) == ErrNotFound {
		return TranscriptJob{}, false, nil
	} else if err != nil {
		return TranscriptJob{}, false, fmt.Errorf("store: claim transcript job: %w", err)
	}
	res, err := q.exec(ctx, `UPDATE transcript_jobs SET state = 'running', lease_owner = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?
		WHERE call_id = ? AND `+runnable, owner, leaseUntil, now, id, now, now)
	if err != nil {
		return TranscriptJob{}, false, fmt.Errorf("store: claim transcript job: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return TranscriptJob{}, false, nil // another worker was faster
	}
	j, err := scanTranscriptJob(q.row(ctx, `SELECT `+transcriptJobCols+` FROM transcript_jobs WHERE call_id = ?`, id))
	return j, err == nil, err
}

// TranscriptProgress records how many segments are done and extends the
// lease while owner still holds the job.
func (q Q) TranscriptProgress(ctx context.Context, tenantID, callID, owner string, done, total int, leaseUntil time.Time) error {
	return affectedOne(q.exec(ctx, `UPDATE transcript_jobs SET progress_done = ?, progress_total = ?, lease_until = ?, updated_at = ?
		WHERE tenant_id = ? AND call_id = ? AND lease_owner = ? AND state = 'running'`, done, total, leaseUntil, q.Now(), tenantID, callID, owner))
}

// SaveTranscript replaces the call's transcript and marks owner's job
// done; ErrNotFound when owner no longer holds the job (it was re-queued).
func (q Q) SaveTranscript(ctx context.Context, owner string, t Transcript, lines []TranscriptLine) error {
	if err := affectedOne(q.exec(ctx, `UPDATE transcript_jobs SET state = 'done', lease_owner = '', lease_until = NULL, error = '',
		progress_done = progress_total, updated_at = ? WHERE tenant_id = ? AND call_id = ? AND lease_owner = ? AND state = 'running'`,
		q.Now(), t.TenantID, t.CallID, owner)); err != nil {
		return fmt.Errorf("store: finish transcript job: %w", err)
	}
	if _, err := q.exec(ctx, `DELETE FROM transcript_lines WHERE tenant_id = ? AND call_id = ?`, t.TenantID, t.CallID); err != nil {
		return fmt.Errorf("store: clear transcript: %w", err)
	}
	for i, l := range lines {
		if _, err := q.exec(ctx, `INSERT INTO transcript_lines (tenant_id, call_id, position, channel, start_ms, end_ms, text, words)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, t.TenantID, t.CallID, i, l.Channel, l.StartMS, l.EndMS, l.Text, l.Words); err != nil {
			return fmt.Errorf("store: transcript line: %w", err)
		}
	}
	_, err := q.exec(ctx, `INSERT INTO transcripts (call_id, tenant_id, engine, license_type, body, keywords, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (call_id) DO UPDATE SET engine = excluded.engine, license_type = excluded.license_type, body = excluded.body,
			keywords = excluded.keywords, created_at = excluded.created_at WHERE transcripts.tenant_id = excluded.tenant_id`,
		t.CallID, t.TenantID, t.Engine, t.LicenseType, t.Body, t.Keywords, t.CreatedAt)
	if err != nil {
		return fmt.Errorf("store: transcript: %w", err)
	}
	return nil
}

// FailTranscriptJob gives owner's job back: queued again after retryAt,
// or failed for good when retryAt is nil.
func (q Q) FailTranscriptJob(ctx context.Context, tenantID, callID, owner, msg string, retryAt *time.Time) error {
	state := TranscriptFailed
	if retryAt != nil {
		state = TranscriptQueued
	}
	return affectedOne(q.exec(ctx, `UPDATE transcript_jobs SET state = ?, not_before = ?, error = ?, lease_owner = '', lease_until = NULL, updated_at = ?
		WHERE tenant_id = ? AND call_id = ? AND lease_owner = ? AND state = 'running'`, state, nullTime(retryAt), msg, q.Now(), tenantID, callID, owner))
}

// GetTranscriptJob returns the call's job.
func (q Q) GetTranscriptJob(ctx context.Context, tenantID, callID string) (TranscriptJob, error) {
	j, err := scanTranscriptJob(q.row(ctx, `SELECT `+transcriptJobCols+` FROM transcript_jobs WHERE tenant_id = ? AND call_id = ?`, tenantID, callID))
	if err != nil {
		return j, fmt.Errorf("store: transcript job: %w", err)
	}
	return j, nil
}

// GetTranscript returns the call's transcript and its lines in order.
func (q Q) GetTranscript(ctx context.Context, tenantID, callID string) (Transcript, []TranscriptLine, error) {
	var t Transcript
	err := mapErr(q.row(ctx, `SELECT call_id, tenant_id, engine, license_type, body, keywords, created_at FROM transcripts WHERE tenant_id = ? AND call_id = ?`,
		tenantID, callID).Scan(&t.CallID, &t.TenantID, &t.Engine, &t.LicenseType, &t.Body, &t.Keywords, &t.CreatedAt))
	if err != nil {
		return t, nil, fmt.Errorf("store: transcript: %w", err)
	}
	rows, err := q.query(ctx, `SELECT channel, start_ms, end_ms, text, words FROM transcript_lines WHERE tenant_id = ? AND call_id = ? ORDER BY position`, tenantID, callID)
	if err != nil {
		return t, nil, fmt.Errorf("store: transcript lines: %w", err)
	}
	defer rows.Close()
	lines := []TranscriptLine{}
	for rows.Next() {
		var l TranscriptLine
		if err := rows.Scan(&l.Channel, &l.StartMS, &l.EndMS, &l.Text, &l.Words); err != nil {
			return t, nil, err
		}
		lines = append(lines, l)
	}
	return t, lines, rows.Err()
}

// TranscriptQueueDepth counts every tenant's jobs by state, for /metrics.
func (q Q) TranscriptQueueDepth(ctx context.Context) (map[string]int, error) {
	rows, err := q.query(ctx, `SELECT state, COUNT(*) FROM transcript_jobs GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("store: transcript queue: %w", err)
	}
	defer rows.Close()
	out := map[string]int{TranscriptQueued: 0, TranscriptRunning: 0, TranscriptDone: 0, TranscriptFailed: 0}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

// SpeechSettings is the provider's choice of speech engine. KeyEnc is the
// OpenAI-compatible server's key sealed with the installation's box.
type SpeechSettings struct {
	Engine    string
	URL       string
	Model     string
	KeyEnc    string
	UpdatedAt time.Time
}

// GetSpeechSettings returns the settings; the zero value when never saved.
func (q Q) GetSpeechSettings(ctx context.Context) (SpeechSettings, error) {
	var s SpeechSettings
	err := mapErr(q.row(ctx, `SELECT engine, url, model, key_enc, updated_at FROM speech_settings WHERE id = 'provider'`).
		Scan(&s.Engine, &s.URL, &s.Model, &s.KeyEnc, &s.UpdatedAt))
	if err == ErrNotFound {
		return SpeechSettings{}, nil
	}
	if err != nil {
		return s, fmt.Errorf("store: speech settings: %w", err)
	}
	return s, nil
}

// SaveSpeechSettings stores the settings.
func (q Q) SaveSpeechSettings(ctx context.Context, s SpeechSettings) error {
	_, err := q.exec(ctx, `INSERT INTO speech_settings (id, engine, url, model, key_enc, updated_at) VALUES ('provider', ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET engine = excluded.engine, url = excluded.url, model = excluded.model, key_enc = excluded.key_enc,
			updated_at = excluded.updated_at`, s.Engine, s.URL, s.Model, s.KeyEnc, q.Now())
	if err != nil {
		return fmt.Errorf("store: save speech settings: %w", err)
	}
	return nil
}
