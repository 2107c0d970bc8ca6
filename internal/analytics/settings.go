package analytics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"callrec/internal/caller"
	"callrec/internal/roles"
	"callrec/internal/store"
	"callrec/internal/validate"
)

// RedactionRule is a tenant's redaction setting as the portal edits it.
type RedactionRule struct {
	Enabled  bool      `json:"enabled"`
	Patterns []Pattern `json:"patterns"`
}

// maxPatterns bounds a tenant's rule.
const maxPatterns = 20

func (s *Service) redactionRule(ctx context.Context, tenantID string) (RedactionRule, error) {
	st, err := s.DB.Q().GetRedactionSettings(ctx, tenantID)
	if errors.Is(err, store.ErrNotFound) {
		return RedactionRule{Patterns: DefaultPatterns}, nil
	}
	if err != nil {
		return RedactionRule{}, err
	}
	r := RedactionRule{Enabled: st.Enabled}
	if err := json.Unmarshal([]byte(st.Patterns), &r.Patterns); err != nil {
		return r, fmt.Errorf("analytics: redaction patterns: %w", err)
	}
	return r, nil
}

func admin(p *caller.Caller) error {
	if p.TenantID == "" || !p.Can(roles.SettingsManage) {
		return ErrForbidden
	}
	return nil
}

// GetRedaction returns the caller's tenant's rule (admins).
func (s *Service) GetRedaction(ctx context.Context, p *caller.Caller) (RedactionRule, error) {
	if err := admin(p); err != nil {
		return RedactionRule{}, err
	}
	return s.redactionRule(ctx, p.TenantID)
}

// SaveRedaction validates and stores the tenant's rule, audited.
func (s *Service) SaveRedaction(ctx context.Context, p *caller.Caller, r RedactionRule) error {
	if err := admin(p); err != nil {
		return err
	}
	errs := validate.Errors{}
	if len(r.Patterns) > maxPatterns {
		errs.Add("patterns", fmt.Sprintf("at most %d", maxPatterns))
	}
	for _, pt := range r.Patterns {
		if err := CheckPattern(pt); err != nil {
			errs.Add("patterns", strings.TrimPrefix(err.Error(), ErrInvalidPattern.Error()+": "))
			break
		}
	}
	if r.Enabled && len(r.Patterns) == 0 {
		errs.Add("patterns", "redaction needs at least one pattern")
	}
	if len(errs) > 0 {
		return errs
	}
	raw, _ := json.Marshal(r.Patterns)
	return s.DB.InTx(ctx, func(tx store.Q) error {
		if err := tx.SaveRedactionSettings(ctx, p.TenantID, store.RedactionSettings{Enabled: r.Enabled, Patterns: string(raw), UpdatedAt: s.now()}); err != nil {
			return err
		}
		return s.Accounts.Audit(ctx, tx, p.Actor(), p.TenantID, "redaction.settings_update", "tenant", p.TenantID,
			map[string]any{"enabled": r.Enabled, "patterns": len(r.Patterns)})
	})
}

// summaryKeyContext binds the sealed key to its use.
const summaryKeyContext = "analytics.summary_key"

// SummaryConfig is the provider's chat endpoint as its page shows it; the
// key never leaves the service.
type SummaryConfig struct {
	URL    string `json:"url"`
	Model  string `json:"model"`
	KeySet bool   `json:"key_set"`
}

// SummaryInput changes it: an empty URL turns summaries off, an empty
// Key keeps the stored one.
type SummaryInput struct {
	URL      string `json:"url"`
	Model    string `json:"model"`
	Key      string `json:"key"`
	ClearKey bool   `json:"clear_key"`
}

func provider(p *caller.Caller) error {
	if !p.IsProvider() || !p.Can(roles.TenantsManage) {
		return ErrForbidden
	}
	return nil
}

// GetSummaryConfig returns the endpoint (provider admins).
func (s *Service) GetSummaryConfig(ctx context.Context, p *caller.Caller) (SummaryConfig, error) {
	if err := provider(p); err != nil {
		return SummaryConfig{}, err
	}
	st, err := s.DB.Q().GetSummarySettings(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return SummaryConfig{}, nil
	}
	return SummaryConfig{URL: st.URL, Model: st.Model, KeySet: st.KeyEnc != ""}, err
}

// SaveSummaryConfig validates and stores the endpoint, audited without the key.
func (s *Service) SaveSummaryConfig(ctx context.Context, p *caller.Caller, in SummaryInput) error {
	if err := provider(p); err != nil {
		return err
	}
	in.URL, in.Model = strings.TrimSpace(in.URL), strings.TrimSpace(in.Model)
	errs := validate.Errors{}
	if in.URL != "" {
		if u, err := url.Parse(in.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(in.URL) > 500 {
			errs.Add("url", "an http:// or https:// URL of at most 500 characters, or empty to turn summaries off")
		}
		if in.Model == "" || len(in.Model) > 100 {
			errs.Add("model", "required, at most 100 characters")
		}
	}
	if len(in.Key) > 500 {
		errs.Add("key", "at most 500 characters")
	}
	if len(errs) > 0 {
		return errs
	}
	return s.DB.InTx(ctx, func(tx store.Q) error {
		cur, err := tx.GetSummarySettings(ctx)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		next := store.SummarySettings{URL: in.URL, Model: in.Model, KeyEnc: cur.KeyEnc, UpdatedAt: s.now()}
		switch {
		case in.ClearKey || in.URL == "":
			next.KeyEnc = ""
		case in.Key != "":
			next.KeyEnc = s.Box.Seal([]byte(in.Key), summaryKeyContext)
		}
		if err := tx.SaveSummarySettings(ctx, next); err != nil {
			return err
		}
		return s.Accounts.Audit(ctx, tx, p.Actor(), "", "summary.settings_update", "summary_settings", "provider",
			map[string]any{"url": in.URL, "model": in.Model, "key_changed": in.Key != "" || in.ClearKey})
	})
}

// summarizer is the configured endpoint, nil when there is none.
func (s *Service) summarizer(ctx context.Context) (*Summarizer, error) {
	st, err := s.DB.Q().GetSummarySettings(ctx)
	if errors.Is(err, store.ErrNotFound) || (err == nil && st.URL == "") {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	key := ""
	if st.KeyEnc != "" {
		b, err := s.Box.Open(st.KeyEnc, summaryKeyContext)
		if err != nil {
			return nil, fmt.Errorf("analytics: summary key: %w", err)
		}
		key = string(b)
	}
	client := s.Client
	if client == nil {
		client = &http.Client{Timeout: 2 * time.Minute}
	}
	return &Summarizer{BaseURL: st.URL, Key: key, Model: st.Model, Client: client}, nil
}

// SummariesOn reports whether the provider configured summaries, so the
// portal shows the feature only then.
func (s *Service) SummariesOn(ctx context.Context) bool {
	sum, err := s.summarizer(ctx)
	return err == nil && sum != nil
}
