package teamsbot

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"callrec/internal/jwks"
)

// BotFrameworkIssuer is the issuer of Microsoft's calling notifications.
const BotFrameworkIssuer = "https://api.botframework.com"

// verifier checks the bearer token on calling notifications against the
// keys published by the configured OpenID configuration.
type verifier struct {
	keys     *jwks.Set
	audience string
	now      func() time.Time
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
	keys, err := v.keys.Keys(ctx, tok.Headers[0].KeyID)
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
