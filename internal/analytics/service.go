package analytics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"callrec/internal/account"
	"callrec/internal/blob"
	"callrec/internal/recordings"
	"callrec/internal/secretbox"
	"callrec/internal/store"
)

// Service keeps what analysis finds: it redacts a transcript before it is
// stored (and the same spans in the audio), then scores the stored one.
// The transcription worker calls it; the portal and the API read and
// configure it.
type Service struct {
	DB         *store.DB
	Accounts   *account.Service
	Recordings *recordings.Service
	Blobs      blob.Store // nil where no worker runs
	Box        *secretbox.Box
	Log        *slog.Logger
	Now        func() time.Time
	Client     *http.Client // summary endpoint (nil: a client with a timeout)

	once      sync.Once
	sentiment *Sentiment
}

// Sentinel errors the portal and the API map to their answers.
var (
	ErrNotFound  = errors.New("analytics: not found")
	ErrForbidden = errors.New("analytics: not allowed")
)

// Speech analytics license types.
const (
	Basic    = "basic"
	Advanced = "advanced"
)

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

func (s *Service) scorer() *Sentiment {
	s.once.Do(func() { s.sentiment = NewSentiment() })
	return s.sentiment
}

// Redact masks the tenant's sensitive numbers in a transcript about to be
// stored and silences them in the call's stored audio (a new version
// replaces the old, which is deleted), audited. It returns the masked
// transcript and how many spans it found.
func (s *Service) Redact(ctx context.Context, tenantID, callID string, us []Utterance) ([]Utterance, int, error) {
	rule, err := s.redactionRule(ctx, tenantID)
	if err != nil || !rule.Enabled {
		return us, 0, err
	}
	masked, spans := Redact(us, rule.Patterns)
	if len(spans) == 0 {
		return us, 0, nil
	}
	if err := s.silence(ctx, tenantID, callID, spans); err != nil {
		return nil, 0, fmt.Errorf("analytics: redact audio: %w", err)
	}
	return masked, len(spans), nil
}

// Analyze scores a stored transcript: topics and sentiment for advanced
// speech analytics, and a summary where the provider configured an
// endpoint. Basic licenses get nothing more than their transcript.
func (s *Service) Analyze(ctx context.Context, tenantID, callID, licenseType string, redactions int, us []Utterance) error {
	if licenseType != Advanced {
		return nil
	}
	c, err := s.DB.Q().GetCall(ctx, tenantID, callID)
	if err != nil {
		return fmt.Errorf("analytics: call: %w", err)
	}
	topics, err := s.matcher(ctx, tenantID)
	if err != nil {
		return err
	}
	counts := map[string]*store.CallTopic{}
	var order []string
	for _, h := range topics.Match(us) {
		t := counts[h.TopicID]
		if t == nil {
			t = &store.CallTopic{TopicID: h.TopicID, FirstMS: h.StartMS}
			counts[h.TopicID] = t
			order = append(order, h.TopicID)
		}
		t.Hits++
	}
	found := make([]store.CallTopic, 0, len(order))
	for _, id := range order {
		found = append(found, *counts[id])
	}
	cs := s.scorer().Call(us)
	per, _ := json.Marshal(cs.Utterances)
	a := store.CallAnalytics{CallID: callID, TenantID: tenantID, StartedAt: c.StartedAt, Sentiment: cs.Call.Compound, Label: cs.Call.Label,
		AgentSentiment: cs.Agent.Compound, OtherSentiment: cs.Other.Compound, Utterances: string(per), Redactions: redactions, CreatedAt: s.now()}
	if sum, err := s.summarizer(ctx); err != nil {
		return err
	} else if sum != nil && len(us) > 0 {
		text, err := sum.Summarize(ctx, us)
		if err != nil {
			// A summary is an extra: the call keeps its other analysis,
			// and the failure is logged for the provider.
			s.log().Warn("analytics: summary failed", "tenant", tenantID, "call", callID, "err", err)
		} else {
			a.Summary, a.SummaryModel = text, sum.Model
		}
	}
	return s.DB.Q().SaveCallAnalytics(ctx, a, found)
}

// matcher compiles the tenant's topics; a stored topic that no longer
// compiles is skipped and logged rather than stopping the analysis.
func (s *Service) matcher(ctx context.Context, tenantID string) (*Matcher, error) {
	rows, err := s.DB.Q().ListAnalyticsTopics(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	var ts []Topic
	for _, r := range rows {
		t, err := decodeTopic(r)
		if err == nil {
			err = CheckTopic(t)
		}
		if err != nil {
			s.log().Warn("analytics: topic skipped", "tenant", tenantID, "topic", r.ID, "err", err)
			continue
		}
		ts = append(ts, t)
	}
	return NewMatcher(ts)
}

func decodeTopic(r store.AnalyticsTopic) (Topic, error) {
	var t Topic
	if err := json.Unmarshal([]byte(r.Definition), &t); err != nil {
		return t, fmt.Errorf("analytics: topic %s: %w", r.ID, err)
	}
	t.ID, t.Name = r.ID, r.Name
	return t, nil
}
