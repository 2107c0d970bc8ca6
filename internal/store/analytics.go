package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// AnalyticsTopic is a tenant's topic; Definition is its phrases as JSON
// (analytics.Topic), kept whole so a form round-trips.
type AnalyticsTopic struct {
	ID         string    `json:"id"`
	TenantID   string    `json:"-"`
	Name       string    `json:"name"`
	Definition string    `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// ListAnalyticsTopics lists the tenant's topics by name.
func (q Q) ListAnalyticsTopics(ctx context.Context, tenantID string) ([]AnalyticsTopic, error) {
	rows, err := q.query(ctx, `SELECT id, tenant_id, name, definition, created_at, updated_at FROM analytics_topics
		WHERE tenant_id = ? ORDER BY name`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("store: topics: %w", err)
	}
	defer rows.Close()
	out := []AnalyticsTopic{}
	for rows.Next() {
		var t AnalyticsTopic
		if err := rows.Scan(&t.ID, &t.TenantID, &t.Name, &t.Definition, &t.CreatedAt, &t.UpdatedAt); err != nil {
			return nil, fmt.Errorf("store: topics: %w", mapErr(err))
		}
		t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
		out = append(out, t)
	}
	return out, rows.Err()
}

// SaveAnalyticsTopic inserts or replaces a topic of the tenant;
// ErrAlreadyExists when another topic has the name.
func (q Q) SaveAnalyticsTopic(ctx context.Context, t AnalyticsTopic) error {
	_, err := q.exec(ctx, `INSERT INTO analytics_topics (id, tenant_id, name, definition, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, definition = excluded.definition, updated_at = excluded.updated_at
		WHERE analytics_topics.tenant_id = excluded.tenant_id`, t.ID, t.TenantID, t.Name, t.Definition, t.CreatedAt, t.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store: save topic: %w", err)
	}
	return nil
}

// DeleteAnalyticsTopic removes a topic of the tenant and its counts.
func (q Q) DeleteAnalyticsTopic(ctx context.Context, tenantID, id string) error {
	if err := affectedOne(q.exec(ctx, `DELETE FROM analytics_topics WHERE tenant_id = ? AND id = ?`, tenantID, id)); err != nil {
		return fmt.Errorf("store: delete topic: %w", err)
	}
	return nil
}

// CallAnalytics is what analysis found in one call's transcript.
type CallAnalytics struct {
	CallID         string
	TenantID       string
	StartedAt      time.Time
	Sentiment      float64
	Label          string
	AgentSentiment float64
	OtherSentiment float64
	Utterances     string // JSON: each line's score
	Summary        string
	SummaryModel   string
	Redactions     int
	CreatedAt      time.Time
}

// CallTopic is one topic said in a call.
type CallTopic struct {
	TopicID string `json:"topic_id"`
	Name    string `json:"name"`
	Hits    int    `json:"hits"`
	FirstMS int64  `json:"first_ms"`
}

// SaveCallAnalytics replaces a call's analysis and topic counts.
func (q Q) SaveCallAnalytics(ctx context.Context, a CallAnalytics, topics []CallTopic) error {
	_, err := q.exec(ctx, `INSERT INTO call_analytics (call_id, tenant_id, started_at, sentiment, label, agent_sentiment, other_sentiment,
			utterances, summary, summary_model, redactions, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (call_id) DO UPDATE SET sentiment = excluded.sentiment, label = excluded.label, agent_sentiment = excluded.agent_sentiment,
			other_sentiment = excluded.other_sentiment, utterances = excluded.utterances, summary = excluded.summary,
			summary_model = excluded.summary_model, redactions = excluded.redactions, created_at = excluded.created_at
		WHERE call_analytics.tenant_id = excluded.tenant_id`,
		a.CallID, a.TenantID, a.StartedAt.UTC(), a.Sentiment, a.Label, a.AgentSentiment, a.OtherSentiment, a.Utterances, a.Summary,
		a.SummaryModel, a.Redactions, a.CreatedAt)
	if err != nil {
		return fmt.Errorf("store: call analytics: %w", err)
	}
	if _, err := q.exec(ctx, `DELETE FROM call_topics WHERE tenant_id = ? AND call_id = ?`, a.TenantID, a.CallID); err != nil {
		return fmt.Errorf("store: call topics: %w", err)
	}
	for _, t := range topics {
		// The topic must be the tenant's: a stale id from another tenant
		// inserts nothing.
		if _, err := q.exec(ctx, `INSERT INTO call_topics (tenant_id, call_id, topic_id, hits, first_ms)
			SELECT ?, ?, id, ?, ? FROM analytics_topics WHERE tenant_id = ? AND id = ?`,
			a.TenantID, a.CallID, t.Hits, t.FirstMS, a.TenantID, t.TopicID); err != nil {
			return fmt.Errorf("store: call topic: %w", err)
		}
	}
	return nil
}

// GetCallAnalytics returns a call's analysis and topics; ErrNotFound if
// the call has none.
func (q Q) GetCallAnalytics(ctx context.Context, tenantID, callID string) (CallAnalytics, []CallTopic, error) {
	var a CallAnalytics
	err := q.row(ctx, `SELECT call_id, tenant_id, started_at, sentiment, label, agent_sentiment, other_sentiment, utterances, summary,
		summary_model, redactions, created_at FROM call_analytics WHERE tenant_id = ? AND call_id = ?`, tenantID, callID).
		Scan(&a.CallID, &a.TenantID, &a.StartedAt, &a.Sentiment, &a.Label, &a.AgentSentiment, &a.OtherSentiment, &a.Utterances,
			&a.Summary, &a.SummaryModel, &a.Redactions, &a.CreatedAt)
	if err != nil {
		return a, nil, fmt.Errorf("store: call analytics: %w", mapErr(err))
	}
	rows, err := q.query(ctx, `SELECT t.topic_id, a.name, t.hits, t.first_ms FROM call_topics t
		JOIN analytics_topics a ON a.id = t.topic_id AND a.tenant_id = t.tenant_id
		WHERE t.tenant_id = ? AND t.call_id = ? ORDER BY t.first_ms`, tenantID, callID)
	if err != nil {
		return a, nil, fmt.Errorf("store: call topics: %w", err)
	}
	defer rows.Close()
	topics := []CallTopic{}
	for rows.Next() {
		var t CallTopic
		if err := rows.Scan(&t.TopicID, &t.Name, &t.Hits, &t.FirstMS); err != nil {
			return a, nil, fmt.Errorf("store: call topics: %w", mapErr(err))
		}
		topics = append(topics, t)
	}
	return a, topics, rows.Err()
}

// SentimentHour is the calls analysed in one UTC hour and their mean.
type SentimentHour struct {
	Hour      time.Time
	Calls     int64
	Sentiment float64
	Positive  int64
	Negative  int64
}

// SentimentByHour groups the analysed recordings f selects by UTC hour.
func (q Q) SentimentByHour(ctx context.Context, tenantID string, f RecordingFilter) ([]SentimentHour, error) {
	where, args, none := recordingWhere(tenantID, f)
	if none {
		return nil, nil
	}
	hour := `strftime('%Y-%m-%d %H', a.started_at)`
	if q.db.dialect == Postgres {
		hour = `to_char(a.started_at, 'YYYY-MM-DD HH24')`
	}
	rows, err := q.query(ctx, `SELECT `+hour+`, COUNT(*), AVG(a.sentiment),
			SUM(CASE WHEN a.label = 'positive' THEN 1 ELSE 0 END), SUM(CASE WHEN a.label = 'negative' THEN 1 ELSE 0 END)
		FROM call_analytics a JOIN calls c ON c.id = a.call_id WHERE a.tenant_id = ? AND `+strings.Join(where, " AND ")+`
		GROUP BY 1 ORDER BY 1`, append([]any{tenantID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("store: sentiment: %w", err)
	}
	defer rows.Close()
	var out []SentimentHour
	for rows.Next() {
		var h SentimentHour
		var at string
		var avg sql.NullFloat64
		if err := rows.Scan(&at, &h.Calls, &avg, &h.Positive, &h.Negative); err != nil {
			return nil, fmt.Errorf("store: sentiment: %w", mapErr(err))
		}
		if h.Hour, err = time.Parse("2006-01-02 15", at); err != nil {
			return nil, fmt.Errorf("store: sentiment hour %q: %w", at, err)
		}
		h.Sentiment = avg.Float64
		out = append(out, h)
	}
	return out, rows.Err()
}

// TopicCount is how many recordings f selects mention a topic.
type TopicCount struct {
	TopicID string `json:"topic_id"`
	Name    string `json:"name"`
	Calls   int64  `json:"calls"`
}

// TopicCounts counts, per topic, the recordings f selects that mention it,
// most mentioned first.
func (q Q) TopicCounts(ctx context.Context, tenantID string, f RecordingFilter) ([]TopicCount, error) {
	where, args, none := recordingWhere(tenantID, f)
	if none {
		return nil, nil
	}
	rows, err := q.query(ctx, `SELECT t.topic_id, a.name, COUNT(*) FROM call_topics t
		JOIN analytics_topics a ON a.id = t.topic_id AND a.tenant_id = t.tenant_id
		JOIN calls c ON c.id = t.call_id WHERE t.tenant_id = ? AND `+strings.Join(where, " AND ")+`
		GROUP BY t.topic_id, a.name ORDER BY 3 DESC, 2`, append([]any{tenantID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("store: topic counts: %w", err)
	}
	defer rows.Close()
	out := []TopicCount{}
	for rows.Next() {
		var t TopicCount
		if err := rows.Scan(&t.TopicID, &t.Name, &t.Calls); err != nil {
			return nil, fmt.Errorf("store: topic counts: %w", mapErr(err))
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RedactionSettings is a tenant's redaction rule; Patterns is JSON
// (analytics.Pattern list).
type RedactionSettings struct {
	Enabled   bool
	Patterns  string
	UpdatedAt time.Time
}

// GetRedactionSettings returns the tenant's rule; ErrNotFound if never set.
func (q Q) GetRedactionSettings(ctx context.Context, tenantID string) (RedactionSettings, error) {
	var s RedactionSettings
	err := q.row(ctx, `SELECT enabled, patterns, updated_at FROM redaction_settings WHERE tenant_id = ?`, tenantID).
		Scan(&s.Enabled, &s.Patterns, &s.UpdatedAt)
	if err != nil {
		return s, fmt.Errorf("store: redaction settings: %w", mapErr(err))
	}
	return s, nil
}

// SaveRedactionSettings sets the tenant's rule.
func (q Q) SaveRedactionSettings(ctx context.Context, tenantID string, s RedactionSettings) error {
	_, err := q.exec(ctx, `INSERT INTO redaction_settings (tenant_id, enabled, patterns, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (tenant_id) DO UPDATE SET enabled = excluded.enabled, patterns = excluded.patterns, updated_at = excluded.updated_at`,
		tenantID, s.Enabled, s.Patterns, s.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store: save redaction settings: %w", err)
	}
	return nil
}

// SummarySettings is the provider's chat endpoint for summaries.
type SummarySettings struct {
	URL, Model, KeyEnc string
	UpdatedAt          time.Time
}

// GetSummarySettings returns the endpoint; ErrNotFound if none was set.
func (q Q) GetSummarySettings(ctx context.Context) (SummarySettings, error) {
	var s SummarySettings
	err := q.row(ctx, `SELECT url, model, key_enc, updated_at FROM summary_settings WHERE id = 'default'`).
		Scan(&s.URL, &s.Model, &s.KeyEnc, &s.UpdatedAt)
	if err != nil {
		return s, fmt.Errorf("store: summary settings: %w", mapErr(err))
	}
	return s, nil
}

// SaveSummarySettings sets the endpoint.
func (q Q) SaveSummarySettings(ctx context.Context, s SummarySettings) error {
	_, err := q.exec(ctx, `INSERT INTO summary_settings (id, url, model, key_enc, updated_at) VALUES ('default', ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET url = excluded.url, model = excluded.model, key_enc = excluded.key_enc, updated_at = excluded.updated_at`,
		s.URL, s.Model, s.KeyEnc, s.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store: save summary settings: %w", err)
	}
	return nil
}
