package analytics

import (
	"context"
	"time"

	"callrec/internal/caller"
	"callrec/internal/roles"
	"callrec/internal/store"
)

// Insights are the dashboard's speech analytics for a period.
type Insights struct {
	Analysed  int64   `json:"analysed"`
	Sentiment float64 `json:"sentiment"` // mean compound score
	Positive  int64   `json:"positive"`
	Negative  int64   `json:"negative"`
	// Heatmap[weekday][hour] in the tenant's zone, Sunday first; Calls 0
	// where nothing was analysed.
	Heatmap [7][24]HeatCell    `json:"heatmap"`
	Topics  []store.TopicCount `json:"topics"`
}

// HeatCell is one hour of one weekday.
type HeatCell struct {
	Calls     int64   `json:"calls"`
	Sentiment float64 `json:"sentiment"`
}

// InsightsQuery selects the period and whose calls, as the dashboard does.
type InsightsQuery struct {
	From, To        time.Time
	GroupID, UserID string
	Location        *time.Location
}

// Insights reads the analysed recordings in the caller's scope.
func (s *Service) Insights(ctx context.Context, p *caller.Caller, q InsightsQuery) (Insights, error) {
	var out Insights
	if !p.Can(roles.Reports) {
		return out, ErrForbidden
	}
	sc, err := s.Recordings.ScopeOf(ctx, p)
	if err != nil {
		return out, err
	}
	f := store.RecordingFilter{From: &q.From, To: &q.To, GroupID: q.GroupID, UserID: q.UserID}
	sc.Apply(&f)
	hours, err := s.DB.Q().SentimentByHour(ctx, p.TenantID, f)
	if err != nil {
		return out, err
	}
	loc := q.Location
	if loc == nil {
		loc = time.UTC
	}
	var sum float64
	for _, h := range hours {
		out.Analysed += h.Calls
		out.Positive += h.Positive
		out.Negative += h.Negative
		sum += h.Sentiment * float64(h.Calls)
		t := h.Hour.In(loc)
		c := &out.Heatmap[t.Weekday()][t.Hour()]
		c.Sentiment = (c.Sentiment*float64(c.Calls) + h.Sentiment*float64(h.Calls)) / float64(c.Calls+h.Calls)
		c.Calls += h.Calls
	}
	if out.Analysed > 0 {
		out.Sentiment = sum / float64(out.Analysed)
	}
	out.Topics, err = s.DB.Q().TopicCounts(ctx, p.TenantID, f)
	return out, err
}
