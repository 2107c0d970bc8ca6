// Package teams is callrec's client of the Microsoft cloud: the identity
// platform (sign-in, admin consent, tokens), Microsoft Graph's directory and
// the Teams admin API. It speaks Microsoft's documented paths and payloads;
// only the base URLs are configuration, so the same code runs against
// Microsoft or against msemu.
package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Endpoints are the Microsoft base URLs and callrec's app credentials.
type Endpoints struct {
	LoginURL      string // https://login.microsoftonline.com
	GraphURL      string // https://graph.microsoft.com
	TeamsAdminURL string // https://api.interfaces.records.teams.microsoft.com
	ClientID      string
	ClientSecret  string
	RedirectURL   string // callrec's OAuth callback
}

// Resource identifiers used in scopes.
const (
	GraphScope      = "https://graph.microsoft.com/.default"
	TeamsAdminAppID = "48ac35b8-9aa8-4d74-927d-1f4a14a0b239"
	TeamsAdminScope = TeamsAdminAppID + "/.default"
)

// APIError is an error answer from Microsoft, whichever host sent it.
type APIError struct {
	Status     int
	Code       string
	Message    string
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	return fmt.Sprintf("microsoft: %s: %s", e.StatusText(), e.Message)
}

// StatusText is the HTTP status as people read it ("404 Not Found"), with
// Microsoft's own code after it when that says more.
func (e *APIError) StatusText() string {
	s := fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status))
	if e.Code != "" && !strings.EqualFold(strings.ReplaceAll(e.Code, " ", ""), strings.ReplaceAll(http.StatusText(e.Status), " ", "")) {
		s += " (" + e.Code + ")"
	}
	return s
}

// Transient reports whether retrying later may succeed: throttling,
// unavailability, and the replication races of Microsoft's directory.
func (e *APIError) Transient() bool {
	switch {
	case e.Status == http.StatusTooManyRequests, e.Status >= 500:
		return true
	case e.Code == "ApplicationInstanceNotFound", strings.Contains(e.Message, "Failed to update application instance in APS"):
		return true
	}
	return false
}

// IsNotFound reports a 404 answer.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// IsTransient reports an error worth retrying.
func IsTransient(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Transient()
}

// RetryAfter is the delay Microsoft asked for, or 0.
func RetryAfter(err error) time.Duration {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.RetryAfter
	}
	return 0
}

// maxAnswer bounds what callrec reads from Microsoft.
const maxAnswer = 8 << 20

// call sends one JSON request with a bearer token and decodes the answer
// into out (when not nil). Errors come back as *APIError.
func call(ctx context.Context, hc *http.Client, method, url, token string, body, out any) error {
	return callWith(ctx, hc, method, url, token, nil, body, out)
}

// callWith is call with extra request headers (the Teams admin API's
// routing headers).
func callWith(ctx context.Context, hc *http.Client, method, url, token string, hdr http.Header, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return &APIError{Status: http.StatusServiceUnavailable, Code: "unreachable", Message: err.Error()}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return &APIError{Status: http.StatusServiceUnavailable, Code: "unreadable", Message: err.Error()}
	}
	if resp.StatusCode >= 300 {
		return parseError(resp, raw)
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("microsoft: %s %s: unexpected answer: %w", method, url, err)
		}
	}
	return nil
}

// parseError reads Graph's and the Teams admin API's {"error":{"code","message"}}.
func parseError(resp *http.Response, raw []byte) *APIError {
	ae := &APIError{Status: resp.StatusCode, Code: http.StatusText(resp.StatusCode), Message: strings.TrimSpace(string(raw))}
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &body) == nil && body.Error.Code != "" {
		ae.Code, ae.Message = body.Error.Code, body.Error.Message
	}
	if len(ae.Message) > 500 {
		ae.Message = ae.Message[:500]
	}
	if s := resp.Header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 0 {
			ae.RetryAfter = time.Duration(n) * time.Second
		}
	}
	return ae
}

// orDefault gives callers without their own client one with a timeout.
func orDefault(hc *http.Client) *http.Client {
	if hc == nil {
		return &http.Client{Timeout: 30 * time.Second}
	}
	return hc
}
