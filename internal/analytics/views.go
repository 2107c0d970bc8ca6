package analytics

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
	"callrec/internal/validate"
)

// TopicView is a topic as the portal and the API show it.
type TopicView struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Phrases   []string  `json:"phrases"`
	Exclude   []string  `json:"exclude"`
	Channel   string    `json:"channel"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Topics lists the tenant's topics (admins, and whoever runs reports).
func (s *Service) Topics(ctx context.Context, p *caller.Caller) ([]TopicView, error) {
	if p.TenantID == "" || !(p.Can(roles.SettingsManage) || p.Can(roles.Reports)) {
		return nil, ErrForbidden
	}
	rows, err := s.DB.Q().ListAnalyticsTopics(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	out := make([]TopicView, 0, len(rows))
	for _, r := range rows {
		t, err := decodeTopic(r)
		if err != nil {
			return nil, err
		}
		out = append(out, TopicView{ID: t.ID, Name: t.Name, Phrases: t.Phrases, Exclude: nonNil(t.Exclude), Channel: or(t.Channel, "any"), UpdatedAt: r.UpdatedAt})
	}
	return out, nil
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

func or(a, b string) string {
	if a == "" {
		return b
	}
	return a
}

// maxTopics bounds a tenant's topics, so analysis of a call stays cheap.
const maxTopics = 200

// SaveTopic creates (id "") or changes a topic, audited; it applies to
// calls analysed from now on.
func (s *Service) SaveTopic(ctx context.Context, p *caller.Caller, id string, in TopicView) (TopicView, error) {
	if err := admin(p); err != nil {
		return in, err
	}
	t := Topic{Name: strings.TrimSpace(in.Name), Phrases: trimAll(in.Phrases), Exclude: trimAll(in.Exclude), Channel: in.Channel}
	if t.Channel == "any" {
		t.Channel = ""
	}
	errs := validate.Errors{}
	if len(t.Name) > 80 {
		errs.Add("name", "at most 80 characters")
	}
	if err := CheckTopic(t); err != nil {
		field := "phrases"
		switch {
		case t.Name == "":
			field = "name"
		case strings.Contains(err.Error(), "channel"):
			field = "channel"
		}
		errs.Add(field, strings.TrimPrefix(err.Error(), ErrInvalidTopic.Error()+": "))
	}
	def, _ := json.Marshal(Topic{Phrases: t.Phrases, Exclude: t.Exclude, Channel: t.Channel})
	now := s.now()
	row := store.AnalyticsTopic{ID: id, TenantID: p.TenantID, Name: t.Name, Definition: string(def), CreatedAt: now, UpdatedAt: now}
	action := "topic.update"
	err := s.DB.InTx(ctx, func(tx store.Q) error {
		existing, err := tx.ListAnalyticsTopics(ctx, p.TenantID)
		if err != nil {
			return err
		}
		found, taken := id == "", false
		for _, e := range existing {
			if e.ID == id {
				found, row.CreatedAt = true, e.CreatedAt
			} else if strings.EqualFold(e.Name, t.Name) {
				taken = true
			}
		}
		// Another tenant's topic is not found, whatever the body says.
		switch {
		case !found:
			return ErrNotFound
		case len(errs) > 0:
			return errs
		case taken:
			return validate.Errors{"name": "another topic has this name"}
		}
		if id == "" {
			if len(existing) >= maxTopics {
				return validate.Errors{"name": fmt.Sprintf("a tenant has at most %d topics", maxTopics)}
			}
			row.ID, action = account.NewID(), "topic.create"
		}
		if err := tx.SaveAnalyticsTopic(ctx, row); err != nil {
			return err
		}
		return s.Accounts.Audit(ctx, tx, p.Actor(), p.TenantID, action, "topic", row.ID, map[string]any{"name": t.Name, "phrases": len(t.Phrases)})
	})
	if err != nil {
		return in, err
	}
	return TopicView{ID: row.ID, Name: t.Name, Phrases: t.Phrases, Exclude: nonNil(t.Exclude), Channel: or(t.Channel, "any"), UpdatedAt: now}, nil
}

func trimAll(v []string) []string {
	var out []string
	for _, s := range v {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// DeleteTopic removes a topic and its counts, audited.
func (s *Service) DeleteTopic(ctx context.Context, p *caller.Caller, id string) error {
	if err := admin(p); err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx store.Q) error {
		if err := tx.DeleteAnalyticsTopic(ctx, p.TenantID, id); errors.Is(err, store.ErrNotFound) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		return s.Accounts.Audit(ctx, tx, p.Actor(), p.TenantID, "topic.delete", "topic", id, nil)
	})
}

// CallView is a call's analysis for whoever may see the call.
type CallView struct {
	Sentiment      Score             `json:"sentiment"`
	AgentSentiment Score             `json:"agent_sentiment"`
	OtherSentiment Score             `json:"other_sentiment"`
	Utterances     []Score           `json:"utterances"`
	Topics         []store.CallTopic `json:"topics"`
	Summary        string            `json:"summary,omitempty"`
	Redactions     int               `json:"redactions"`
}

// Call returns a call's analysis; ErrNotFound when the caller may not see
// the call or it has none.
func (s *Service) Call(ctx context.Context, p *caller.Caller, callID string) (CallView, error) {
	if _, err := s.Recordings.Call(ctx, p, callID); errors.Is(err, recordings.ErrNotFound) || errors.Is(err, recordings.ErrForbidden) {
		return CallView{}, ErrNotFound
	} else if err != nil {
		return CallView{}, err
	}
	a, topics, err := s.DB.Q().GetCallAnalytics(ctx, p.TenantID, callID)
	if errors.Is(err, store.ErrNotFound) {
		return CallView{}, ErrNotFound
	}
	if err != nil {
		return CallView{}, err
	}
	v := CallView{Sentiment: scored(a.Sentiment), AgentSentiment: scored(a.AgentSentiment), OtherSentiment: scored(a.OtherSentiment),
		Topics: topics, Summary: a.Summary, Redactions: a.Redactions}
	if err := json.Unmarshal([]byte(a.Utterances), &v.Utterances); err != nil {
		return v, fmt.Errorf("analytics: utterance scores: %w", err)
	}
	return v, nil
}
