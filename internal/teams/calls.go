package teams

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// AppTokens issues and caches app-only Graph tokens per tenant (client
// credentials), so the bot can answer a call well inside Microsoft's 5 s
// deadline without a token round trip each time.
type AppTokens struct {
	ep  Endpoints
	hc  *http.Client
	now func() time.Time
	mu  sync.Mutex
	tok map[string]Token
}

// NewAppTokens returns an app-token cache.
func NewAppTokens(ep Endpoints, hc *http.Client, now func() time.Time) *AppTokens {
	if now == nil {
		now = time.Now
	}
	return &AppTokens{ep: ep, hc: orDefault(hc), now: now, tok: map[string]Token{}}
}

// Get returns a valid app-only Graph token for the tenant.
func (a *AppTokens) Get(ctx context.Context, tenantID string) (string, error) {
	a.mu.Lock()
	t, ok := a.tok[tenantID]
	a.mu.Unlock()
	if ok && a.now().Add(5*time.Minute).Before(t.Expiry) {
		return t.AccessToken, nil
	}
	cc := clientcredentials.Config{ClientID: a.ep.ClientID, ClientSecret: a.ep.ClientSecret, Scopes: []string{GraphScope},
		TokenURL: strings.TrimRight(a.ep.LoginURL, "/") + "/" + url.PathEscape(tenantID) + "/oauth2/v2.0/token"}
	ot, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, a.hc))
	if err != nil {
		return "", describeOAuthError(err)
	}
	t = Token{AccessToken: ot.AccessToken, Expiry: expiryOn(a.now, ot)}
	if t.Expiry.IsZero() {
		t.Expiry = a.now().Add(time.Hour)
	}
	a.mu.Lock()
	a.tok[tenantID] = t
	a.mu.Unlock()
	return t.AccessToken, nil
}

// Calls drives Graph's calling API for a bot (app-only token).
type Calls struct {
	base  string
	hc    *http.Client
	token string
}

// NewCalls returns a calling client for one app token.
func NewCalls(ep Endpoints, hc *http.Client, token string) *Calls {
	return &Calls{base: strings.TrimRight(ep.GraphURL, "/") + "/v1.0/communications/calls/", hc: orDefault(hc), token: token}
}

// AnswerRequest is the body of answer.
type AnswerRequest struct {
	CallbackURI         string      `json:"callbackUri"`
	MediaConfig         MediaConfig `json:"mediaConfig"`
	AcceptedModalities  []string    `json:"acceptedModalities"`
	ParticipantCapacity int         `json:"participantCapacity,omitempty"`
}

// MediaConfig is an app-hosted media configuration; Blob is what the
// media platform produced for this call.
type MediaConfig struct {
	ODataType string `json:"@odata.type"`
	Blob      string `json:"blob"`
}

// Answer accepts an incoming call with app-hosted media.
func (c *Calls) Answer(ctx context.Context, callID, callbackURI, blob string) error {
	body := AnswerRequest{CallbackURI: callbackURI, AcceptedModalities: []string{"audio"}, ParticipantCapacity: 200,
		MediaConfig: MediaConfig{ODataType: "#microsoft.graph.appHostedMediaConfig", Blob: blob}}
	return call(ctx, c.hc, http.MethodPost, c.base+url.PathEscape(callID)+"/answer", c.token, body, nil)
}

// Reject declines an incoming call: reason none, busy or forbidden.
func (c *Calls) Reject(ctx context.Context, callID, reason string) error {
	return call(ctx, c.hc, http.MethodPost, c.base+url.PathEscape(callID)+"/reject", c.token, map[string]string{"reason": reason}, nil)
}

// UpdateRecordingStatus reports recording, notRecording or failed; Teams
// shows its banner and plays its announcement on recording.
func (c *Calls) UpdateRecordingStatus(ctx context.Context, callID, status, clientContext string) error {
	var op struct {
		Status string `json:"status"`
	}
	body := map[string]string{"status": status, "clientContext": clientContext}
	if err := call(ctx, c.hc, http.MethodPost, c.base+url.PathEscape(callID)+"/updateRecordingStatus", c.token, body, &op); err != nil {
		return err
	}
	if op.Status != "" && op.Status != "completed" {
		return &APIError{Status: http.StatusConflict, Code: "operationFailed", Message: "updateRecordingStatus ended " + op.Status}
	}
	return nil
}

// KeepAlive tells Teams the bot is still there (at least every 45 minutes).
func (c *Calls) KeepAlive(ctx context.Context, callID string) error {
	return call(ctx, c.hc, http.MethodPost, c.base+url.PathEscape(callID)+"/keepAlive", c.token, nil, nil)
}

// Hangup makes the bot leave the call.
func (c *Calls) Hangup(ctx context.Context, callID string) error {
	return call(ctx, c.hc, http.MethodDelete, c.base+url.PathEscape(callID), c.token, nil, nil)
}
