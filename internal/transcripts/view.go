package transcripts

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"callrec/internal/caller"
	"callrec/internal/events"
	"callrec/internal/recordings"
	"callrec/internal/roles"
	"callrec/internal/store"
)

// Statuses of a call's transcript as the call page and the API show it.
const (
	StatusDone          = "done"
	StatusQueued        = "queued"
	StatusRunning       = "running"
	StatusFailed        = "failed"
	StatusNoLicense     = "no_license"
	StatusNotConfigured = "engine_not_configured"
	StatusNotStored     = "not_stored"
)

// WordView is one word with its times from the start of the call.
type WordView struct {
	Text       string  `json:"text"`
	StartMS    int64   `json:"start_ms"`
	EndMS      int64   `json:"end_ms"`
	Confidence float64 `json:"confidence"`
}

// LineView is one line of dialogue; Channel is "agent" (the recorded
// user) or "other" (the other party).
type LineView struct {
	Channel string     `json:"channel"`
	StartMS int64      `json:"start_ms"`
	EndMS   int64      `json:"end_ms"`
	Text    string     `json:"text"`
	Words   []WordView `json:"words"`
}

// View is a call's transcript or why there is none yet.
type View struct {
	CallID      string     `json:"call_id"`
	Status      string     `json:"status"`
	Progress    int        `json:"progress"` // percent, while queued or running
	Error       string     `json:"error,omitempty"`
	Engine      string     `json:"engine,omitempty"`
	LicenseType string     `json:"license_type,omitempty"`
	Keywords    []string   `json:"keywords"`
	CreatedAt   *time.Time `json:"created_at,omitempty"`
	Lines       []LineView `json:"lines"`
	// CanRerun tells the page whether to offer "Transcribe again".
	CanRerun bool `json:"can_rerun"`
}

func (s *Service) call(ctx context.Context, p *caller.Caller, callID string) (store.Call, error) {
	c, err := s.Recordings.Call(ctx, p, callID)
	if errors.Is(err, recordings.ErrNotFound) || errors.Is(err, recordings.ErrForbidden) {
		return c, ErrNotFound
	}
	return c, err
}

// Get returns the call's transcript for a caller who may see the call.
func (s *Service) Get(ctx context.Context, p *caller.Caller, callID string) (View, error) {
	c, err := s.call(ctx, p, callID)
	if err != nil {
		return View{}, err
	}
	q := s.DB.Q()
	v := View{CallID: c.ID, Keywords: []string{}, Lines: []LineView{}, CanRerun: p.Can(roles.RecordingsAnnotate) && c.BlobKey != ""}
	t, lines, err := q.GetTranscript(ctx, c.TenantID, c.ID)
	switch {
	case err == nil:
		fillTranscript(&v, t, lines)
	case !errors.Is(err, store.ErrNotFound):
		return View{}, err
	}
	job, err := q.GetTranscriptJob(ctx, c.TenantID, c.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if v.Status == "" {
			v.Status = s.absentStatus(ctx, c)
		}
		return v, nil
	case err != nil:
		return View{}, err
	}
	if job.State == store.TranscriptDone && v.Status == StatusDone {
		return v, nil
	}
	// A queued or running job (a first run or a re-run) is what the page
	// says; a re-run keeps showing the old lines until the new ones land.
	v.Status, v.Error, v.LicenseType = job.State, job.Error, job.LicenseType
	if job.ProgressTotal > 0 {
		v.Progress = 100 * job.ProgressDone / job.ProgressTotal
	}
	if job.State == store.TranscriptQueued {
		if _, err := s.engine(ctx); errors.Is(err, ErrNotConfigured) {
			v.Status = StatusNotConfigured
		}
	}
	return v, nil
}

func (s *Service) absentStatus(ctx context.Context, c store.Call) string {
	if c.BlobKey == "" {
		return StatusNotStored
	}
	if lt, err := s.licenseType(ctx, c); err != nil || lt == "" {
		return StatusNoLicense
	}
	return StatusNotConfigured // licensed and stored, never queued: the engine was off when re-run was last asked
}

func fillTranscript(v *View, t store.Transcript, lines []store.TranscriptLine) {
	at := t.CreatedAt
	v.Status, v.Engine, v.LicenseType, v.CreatedAt, v.Progress = StatusDone, t.Engine, t.LicenseType, &at, 100
	if t.Keywords != "" {
		v.Keywords = splitKeywords(t.Keywords)
	}
	for _, l := range lines {
		lv := LineView{Channel: l.Channel, StartMS: l.StartMS, EndMS: l.EndMS, Text: l.Text, Words: []WordView{}}
		_ = json.Unmarshal([]byte(l.Words), &lv.Words)
		v.Lines = append(v.Lines, lv)
	}
}

// licenseType is the recorded user's speech analytics type when the user
// holds the license, else "".
func (s *Service) licenseType(ctx context.Context, c store.Call) (string, error) {
	if c.RecordedUserID == "" {
		return "", nil
	}
	u, err := s.DB.Q().GetUser(ctx, c.TenantID, c.RecordedUserID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	for _, l := range u.Licenses {
		if l == "speech_analytics" {
			return u.SpeechAnalyticsType, nil
		}
	}
	return "", nil
}

// Rerun queues the call's transcription again (recordings.annotate),
// audited in the same transaction.
func (s *Service) Rerun(ctx context.Context, p *caller.Caller, callID string) error {
	if !p.Can(roles.RecordingsAnnotate) {
		return ErrForbidden
	}
	c, err := s.call(ctx, p, callID)
	if err != nil {
		return err
	}
	if c.BlobKey == "" {
		return ErrNotStored
	}
	lt, err := s.licenseType(ctx, c)
	if err != nil {
		return err
	}
	if lt == "" {
		return ErrNoLicense
	}
	if _, err := s.engine(ctx); errors.Is(err, ErrNotConfigured) {
		return ErrNotConfigured
	}
	err = s.DB.InTx(ctx, func(tx store.Q) error {
		if err := tx.RequeueTranscript(ctx, c.TenantID, c.ID, lt); err != nil {
			return err
		}
		return s.Accounts.Audit(ctx, tx, p.Actor(), c.TenantID, "transcript.rerun", "call", c.ID, map[string]string{"license_type": lt})
	})
	if err == nil {
		s.publish(ctx, c.TenantID, c.ID, StatusQueued, 0)
	}
	return err
}

// publish tells the call page how the job is going.
func (s *Service) publish(ctx context.Context, tenantID, callID, status string, progress int) {
	if s.Bus == nil {
		return
	}
	s.Bus.Publish(ctx, events.New(tenantID, "transcript.progress",
		map[string]any{"call_id": callID, "status": status, "progress": progress}, s.now()))
}
