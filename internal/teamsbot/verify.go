package teamsbot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// BotFrameworkIssuer is the issuer of Microsoft's calling notifications.
const BotFrameworkIssuer = "https://api.botframework.com"

// keyTTL is how long fetched signing keys are trusted before a refresh.
const keyTTL = 6 * time.Hour

// verifier checks the bearer token on calling notifications against the
// keys published by the configured OpenID configuration.
type verifier struct {
	openIDURL string
	audience  string
	hc        *http.Client
	now       func() time.Time

	mu      sync.Mutex
	keys    *jose.JSONWebKeySet
	fetched time.Time
}

// ErrToken means the notification's token is missing, forged or expired.
var ErrToken = errors.New("teamsbot: invalid notification token")

// claims are what callrec needs from a notification token.
type claims struct {
	TenantID string `json:"tid"`
}

func (v *verifier) verify(ctx context.Context, header string) (claims, error) {
	raw, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || raw == "" {
		return claims{}, ErrToken
	}
	tok, err := jwt.ParseSigned(strings.TrimSpace(raw), []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || len(tok.Headers) == 0 {
		return claims{}, ErrToken
	}
	keys, err := v.keysFor(ctx, tok.Headers[0].KeyID)
	if err != nil {
		return claims{}, err
	}
	var std jwt.Claims
	var c claims
	if err := tok.Claims(keys, &std, &c); err != nil {
		return claims{}, ErrToken
	}
	if std.Expiry == nil || std.NotBefore == nil && std.IssuedAt == nil {
		return claims{}, ErrToken
	}
	want := jwt.Expected{Issuer: BotFrameworkIssuer, AnyAudience: jwt.Audience{v.audience}, Time: v.now()}
	if err := std.ValidateWithLeeway(want, 2*time.Minute); err != nil || c.TenantID == "" {
		return claims{}, ErrToken
	}
	return c, nil
}

// keysFor returns the cached key set, refreshing it when it is old or does
// not know the token's key id (Microsoft rotates keys).
func (v *verifier) keysFor(ctx context.Context, kid string) (*jose.JSONWebKeySet, error) {
	v.mu.Lock()
	ks, age := v.keys, v.now().Sub(v.fetched)
	v.mu.Unlock()
	if ks != nil && age < keyTTL && (kid == "" || len(ks.Key(kid)) > 0) {
		return ks, nil
	}
	if ks != nil && age < time.Minute {
		return ks, nil // refreshed moments ago: an unknown kid is the token's problem
	}
	fresh, err := v.fetch(ctx)
	if err != nil {
		if ks != nil {
			return ks, nil // keep working on the old keys while Microsoft is unreachable
		}
		return nil, err
	}
	v.mu.Lock()
	v.keys, v.fetched = fresh, v.now()
	v.mu.Unlock()
	return fresh, nil
}

func (v *verifier) fetch(ctx context.Context) (*jose.JSONWebKeySet, error) {
	var cfg struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := getJSON(ctx, v.hc, v.openIDURL, &cfg); err != nil {
		return nil, fmt.Errorf("teamsbot: OpenID configuration: %w", err)
	}
	ks := &jose.JSONWebKeySet{}
	if err := getJSON(ctx, v.hc, cfg.JWKSURI, ks); err != nil {
		return nil, fmt.Errorf("teamsbot: signing keys: %w", err)
	}
	return ks, nil
}

func getJSON(ctx context.Context, hc *http.Client, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", url, resp.Status)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out)
}
