package transcripts

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"callrec/internal/account"
	"callrec/internal/analytics"
	"callrec/internal/recorder"
	"callrec/internal/speech"
	"callrec/internal/store"
)

// Queue settings: a lease outlives a stalled worker by leaseFor (renewed
// at each segment); a failed job is tried maxAttempts times, waiting
// retryBase doubled per attempt (at most an hour) in between.
const (
	leaseFor    = 5 * time.Minute
	maxAttempts = 5
	retryBase   = 30 * time.Second
)

// RunOnce claims one due job and runs it; it reports whether there was
// one. Nothing is claimed while no engine is configured: jobs wait queued.
func (s *Service) RunOnce(ctx context.Context) (bool, error) {
	eng, err := s.engine(ctx)
	if errors.Is(err, ErrNotConfigured) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	now := s.now()
	job, ok, err := s.DB.Q().ClaimTranscriptJob(ctx, s.Node, now, now.Add(leaseFor))
	if err != nil || !ok {
		return false, err
	}
	if err := s.run(ctx, eng, job); err != nil {
		s.fail(ctx, job, err)
	}
	return true, nil
}

// Drain runs due jobs until none is left or ctx ends.
func (s *Service) Drain(ctx context.Context) error {
	for ctx.Err() == nil {
		ran, err := s.RunOnce(ctx)
		if err != nil || !ran {
			return err
		}
	}
	return ctx.Err()
}

func (s *Service) fail(ctx context.Context, job store.TranscriptJob, cause error) {
	msg := cause.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	if ctx.Err() != nil {
		return // shutting down: the lease runs out and another turn takes the job
	}
	var retry *time.Time
	status := StatusFailed
	if job.Attempts < maxAttempts {
		at := s.now().Add(min(retryBase<<(job.Attempts-1), time.Hour))
		retry, status = &at, StatusQueued
	}
	s.log().Warn("transcripts: job failed", "tenant", job.TenantID, "call", job.CallID, "attempt", job.Attempts, "retry", retry != nil, "err", msg)
	s.metrics.result(status)
	if err := s.DB.Q().FailTranscriptJob(ctx, job.TenantID, job.CallID, s.Node, msg, retry); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log().Error("transcripts: record failure", "call", job.CallID, "err", err)
	}
	s.publish(ctx, job.TenantID, job.CallID, status, 0)
}

func (s *Service) run(ctx context.Context, eng speech.Engine, job store.TranscriptJob) error {
	q := s.DB.Q()
	c, err := q.GetCall(ctx, job.TenantID, job.CallID)
	if err != nil {
		return fmt.Errorf("call: %w", err)
	}
	if c.BlobKey == "" || s.Blobs == nil {
		return ErrNotStored
	}
	agent, other, err := s.channels(ctx, c.BlobKey)
	if err != nil {
		return err
	}
	s.metrics.audio(float64(len(agent)) / speech.Rate)
	progress := func(done, total int) {
		s.metrics.progress(done, total)
		if err := q.TranscriptProgress(ctx, job.TenantID, job.CallID, s.Node, done, total, s.now().Add(leaseFor)); err == nil && total > 0 {
			s.publish(ctx, job.TenantID, job.CallID, StatusRunning, 100*done/total)
		}
	}
	lines, err := speech.Transcribe(ctx, eng, agent, other, speech.Rate, progress)
	if err != nil {
		return err
	}
	return s.save(ctx, eng, job, lines)
}

func (s *Service) save(ctx context.Context, eng speech.Engine, job store.TranscriptJob, lines []speech.Line) error {
	us := utterances(lines)
	redactions := 0
	if s.Analytics != nil {
		// Sensitive numbers are masked before the text is ever stored, and
		// silenced in the audio before the transcript says it is done.
		masked, n, err := s.Analytics.Redact(ctx, job.TenantID, job.CallID, us)
		if err != nil {
			return err
		}
		us, redactions = masked, n
	}
	rows := make([]store.TranscriptLine, len(lines))
	texts := make([]string, len(lines))
	for i, l := range lines {
		words := make([]WordView, len(us[i].Words))
		for k, w := range us[i].Words {
			words[k] = WordView{Text: w.Text, StartMS: w.StartMS, EndMS: w.EndMS}
			if k < len(l.Words) && w.Text == l.Words[k].Text {
				words[k].Confidence = l.Words[k].Confidence
			}
		}
		wj, err := json.Marshal(words)
		if err != nil {
			return err
		}
		rows[i] = store.TranscriptLine{Channel: string(l.Channel), StartMS: l.Start.Milliseconds(), EndMS: l.End.Milliseconds(), Text: us[i].Text, Words: string(wj)}
		texts[i] = us[i].Text
	}
	body := strings.Join(texts, "\n")
	t := store.Transcript{CallID: job.CallID, TenantID: job.TenantID, Engine: eng.Name(), LicenseType: job.LicenseType, Body: body,
		Keywords: strings.Join(Keywords(body), ","), CreatedAt: s.now()}
	err := s.DB.InTx(ctx, func(tx store.Q) error {
		if err := tx.SaveTranscript(ctx, s.Node, t, rows); err != nil {
			return err
		}
		return s.Accounts.Audit(ctx, tx, account.System, job.TenantID, "transcript.create", "call", job.CallID,
			map[string]any{"engine": t.Engine, "lines": len(rows), "license_type": job.LicenseType})
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil // re-queued meanwhile: the new run will store its own
	}
	if err != nil {
		return err
	}
	s.metrics.result(StatusDone)
	if s.Analytics != nil {
		if err := s.Analytics.Analyze(ctx, job.TenantID, job.CallID, job.LicenseType, redactions, us); err != nil {
			s.log().Error("transcripts: analysis failed; the transcript is kept, Transcribe again retries it", "tenant", job.TenantID, "call", job.CallID, "err", err)
		}
	}
	s.publish(ctx, job.TenantID, job.CallID, StatusDone, 100)
	return nil
}

// utterances are the lines as analytics reads them.
func utterances(lines []speech.Line) []analytics.Utterance {
	out := make([]analytics.Utterance, len(lines))
	for i, l := range lines {
		u := analytics.Utterance{Channel: string(l.Channel), StartMS: l.Start.Milliseconds(), EndMS: l.End.Milliseconds(), Text: l.Text}
		for _, w := range l.Words {
			u.Words = append(u.Words, analytics.Word{Text: w.Text, StartMS: w.Start.Milliseconds(), EndMS: w.End.Milliseconds()})
		}
		out[i] = u
	}
	return out
}

// channels decodes the stored recording into its two channels: left the
// recorded user, right the other party.
func (s *Service) channels(ctx context.Context, key string) (agent, other []int16, err error) {
	obj, err := s.Blobs.Open(ctx, key)
	if err != nil {
		return nil, nil, fmt.Errorf("audio: %w", err)
	}
	defer obj.Close()
	tmp, err := os.CreateTemp("", "callrec-transcript-*.wav")
	if err != nil {
		return nil, nil, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	samples, err := recorder.DecodeToWAV(obj, tmp)
	if err != nil {
		return nil, nil, err
	}
	if _, err := tmp.Seek(44, io.SeekStart); err != nil {
		return nil, nil, err
	}
	pcm := make([]int16, 2*samples)
	if err := binary.Read(tmp, binary.LittleEndian, pcm); err != nil {
		return nil, nil, fmt.Errorf("audio: %w", err)
	}
	agent, other = speech.SplitStereo(pcm)
	return agent, other, nil
}
