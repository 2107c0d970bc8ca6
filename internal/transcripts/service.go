// Package transcripts is speech analytics on recorded calls: the queue of
// transcription jobs the recorder fills when a licensed user's call is
// stored, the worker that runs them through the provider's speech engine
// (internal/speech), each call's transcript as the portal and the API show
// it, re-runs on demand and the provider's engine settings. The portal,
// the REST API and the worker call this one service.
package transcripts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"callrec/internal/account"
	"callrec/internal/analytics"
	"callrec/internal/blob"
	"callrec/internal/caller"
	"callrec/internal/events"
	"callrec/internal/recordings"
	"callrec/internal/roles"
	"callrec/internal/secretbox"
	"callrec/internal/speech"
	"callrec/internal/store"
	"callrec/internal/validate"
)

// Sentinel errors the portal and the API map to their answers.
var (
	ErrNotFound      = errors.New("transcripts: not found")
	ErrForbidden     = errors.New("transcripts: not allowed")
	ErrNoLicense     = errors.New("transcripts: the recorded user has no speech analytics license")
	ErrNotStored     = errors.New("transcripts: the recording is not stored yet")
	ErrNotConfigured = errors.New("transcripts: no speech engine is configured")
)

// Service is speech analytics.
type Service struct {
	DB         *store.DB
	Accounts   *account.Service
	Recordings *recordings.Service // who may see which call
	Blobs      blob.Store          // nil on nodes that do not run the worker
	Box        *secretbox.Box      // seals the engine's API key
	Bus        events.Bus          // nil: no live progress
	Log        *slog.Logger
	Now        func() time.Time
	// Node names this worker on the leases it takes.
	Node string
	// Engines builds an engine from the settings; nil means speech's own
	// (tests substitute a fake).
	Engines func(store.SpeechSettings, string) (speech.Engine, error)
	// Analytics redacts a transcript before it is stored and analyses it
	// after (nil: neither).
	Analytics *analytics.Service
	// Sphinx locates pocketsphinx's model.
	Sphinx speech.SphinxConfig

	mu      sync.Mutex
	cached  speech.Engine
	cacheAt time.Time
	metrics *metrics
}

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

// Engine names.
const (
	EnginePocketsphinx = "pocketsphinx"
	EngineOpenAI       = "openai"
)

// keyContext binds the sealed key to its use.
const keyContext = "speech.openai_key"

// Settings is the provider's engine choice as the settings page shows it;
// the key itself never leaves the service.
type Settings struct {
	Engine        string `json:"engine"`
	URL           string `json:"url"`
	Model         string `json:"model"`
	KeySet        bool   `json:"key_set"`
	SphinxBuiltIn bool   `json:"pocketsphinx_built_in"`
	// Status is "ok", "not_configured" or the engine's error.
	Status string `json:"status"`
}

// SettingsInput changes the settings; an empty Key keeps the stored one,
// ClearKey removes it.
type SettingsInput struct {
	Engine   string `json:"engine"`
	URL      string `json:"url"`
	Model    string `json:"model"`
	Key      string `json:"key"`
	ClearKey bool   `json:"clear_key"`
}

func providerOnly(p *caller.Caller) error {
	if !p.IsProvider() || !p.Can(roles.TenantsManage) {
		return ErrForbidden
	}
	return nil
}

// GetSettings returns the engine settings (provider admins).
func (s *Service) GetSettings(ctx context.Context, p *caller.Caller) (Settings, error) {
	if err := providerOnly(p); err != nil {
		return Settings{}, err
	}
	st, err := s.DB.Q().GetSpeechSettings(ctx)
	if err != nil {
		return Settings{}, err
	}
	out := Settings{Engine: st.Engine, URL: st.URL, Model: st.Model, KeySet: st.KeyEnc != "", SphinxBuiltIn: speech.SphinxBuiltIn, Status: "ok"}
	if _, err := s.engine(ctx); err != nil {
		out.Status = err.Error()
		if errors.Is(err, ErrNotConfigured) {
			out.Status = "not_configured"
		}
	}
	return out, nil
}

// SaveSettings validates and stores the engine settings, audited without
// the key.
func (s *Service) SaveSettings(ctx context.Context, p *caller.Caller, in SettingsInput) error {
	if err := providerOnly(p); err != nil {
		return err
	}
	in.Engine, in.URL, in.Model = strings.TrimSpace(in.Engine), strings.TrimSpace(in.URL), strings.TrimSpace(in.Model)
	errs := validate.Errors{}
	switch in.Engine {
	case "", EnginePocketsphinx:
		in.URL, in.Model, in.Key, in.ClearKey = "", "", "", true
	case EngineOpenAI:
		if _, err := speech.NewOpenAI(speech.OpenAIConfig{URL: in.URL, Model: "m"}); err != nil || len(in.URL) > 500 {
			errs.Add("url", "an http:// or https:// URL of at most 500 characters")
		}
		if in.Model == "" || len(in.Model) > 100 {
			errs.Add("model", "required, at most 100 characters")
		}
	default:
		errs.Add("engine", "pocketsphinx, openai or empty (off)")
	}
	if len(in.Key) > 500 {
		errs.Add("key", "at most 500 characters")
	}
	if len(errs) > 0 {
		return errs
	}
	return s.DB.InTx(ctx, func(tx store.Q) error {
		cur, err := tx.GetSpeechSettings(ctx)
		if err != nil {
			return err
		}
		next := store.SpeechSettings{Engine: in.Engine, URL: in.URL, Model: in.Model, KeyEnc: cur.KeyEnc}
		switch {
		case in.ClearKey:
			next.KeyEnc = ""
		case in.Key != "":
			next.KeyEnc = s.Box.Seal([]byte(in.Key), keyContext)
		}
		if err := tx.SaveSpeechSettings(ctx, next); err != nil {
			return err
		}
		return s.Accounts.Audit(ctx, tx, p.Actor(), "", "speech.settings_update", "speech_settings", "provider",
			map[string]any{"engine": in.Engine, "url": in.URL, "model": in.Model, "key_changed": in.Key != "" || in.ClearKey})
	})
}

// engine is the configured engine, rebuilt when the settings change.
func (s *Service) engine(ctx context.Context) (speech.Engine, error) {
	st, err := s.DB.Q().GetSpeechSettings(ctx)
	if err != nil {
		return nil, err
	}
	if st.Engine == "" {
		return nil, ErrNotConfigured
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached != nil && s.cacheAt.Equal(st.UpdatedAt) {
		return s.cached, nil
	}
	key := ""
	if st.KeyEnc != "" {
		b, err := s.Box.Open(st.KeyEnc, keyContext)
		if err != nil {
			return nil, fmt.Errorf("transcripts: engine key: %w", err)
		}
		key = string(b)
	}
	build := s.Engines
	if build == nil {
		build = s.buildEngine
	}
	eng, err := build(st, key)
	if err != nil {
		return nil, err
	}
	s.cached, s.cacheAt = eng, st.UpdatedAt
	return eng, nil
}

func (s *Service) buildEngine(st store.SpeechSettings, key string) (speech.Engine, error) {
	switch st.Engine {
	case EnginePocketsphinx:
		return speech.NewSphinx(s.Sphinx)
	case EngineOpenAI:
		return speech.NewOpenAI(speech.OpenAIConfig{URL: st.URL, Key: key, Model: st.Model})
	}
	return nil, fmt.Errorf("transcripts: unknown engine %q", st.Engine)
}
