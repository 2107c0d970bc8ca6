package teamsbot

import (
	"context"
	"encoding/json"
)

// MediaCall is what a media platform needs to route a call's audio.
type MediaCall struct {
	TenantID    string
	GraphCallID string
	Correlation string
}

// MediaPlatform produces the answer's app-hosted media configuration. In
// production the media edge's SDK makes the blob; here the contract is that
// the edge opens a SIPREC session to the recorder the blob names, carrying
// the correlation token in its metadata.
type MediaPlatform interface {
	MediaConfig(ctx context.Context, c MediaCall) (string, error)
}

// SIPRECMedia names this installation's recorder as the SIPREC target.
type SIPRECMedia struct {
	Target string // e.g. sip:recorder.example.net:5080;transport=tcp
}

// MediaConfig returns {"siprec": target, "correlation": token}.
func (m SIPRECMedia) MediaConfig(_ context.Context, c MediaCall) (string, error) {
	b, err := json.Marshal(map[string]string{"siprec": m.Target, "correlation": c.Correlation})
	return string(b), err
}

func decodeConfig(raw string, v any) error { return json.Unmarshal([]byte(raw), v) }
