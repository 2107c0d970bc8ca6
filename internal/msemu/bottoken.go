package msemu

import (
	"crypto/rsa"
	"encoding/base64"
	"math/big"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// BotFrameworkIssuer is the issuer of the tokens Teams puts on calling
// notifications, the same in the emulator as at Microsoft.
const BotFrameworkIssuer = "https://api.botframework.com"

// botOpenIDPath emulates https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration.
const (
	botOpenIDPath = "/botframework/v1/.well-known/OpenIdConfiguration"
	botKeysPath   = "/botframework/v1/.well-known/keys"
	botTokenTTL   = time.Hour
)

// botOpenIDConfig serves the Bot Framework OpenID configuration that a bot
// reads to find the keys of notification tokens.
func (e *Emulator) botOpenIDConfig(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                BotFrameworkIssuer,
		"jwks_uri":                              e.opts.BaseURL + botKeysPath,
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_methods_supported": []string{"private_key_jwt"},
	})
}

// botJWKS serves the notification signing key. It is not the login key: a
// bot that verified notifications with login.microsoftonline.com's keys
// would accept any Entra token.
func (e *Emulator) botJWKS(w http.ResponseWriter, r *http.Request) {
	pub := &e.botKey.PublicKey
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]any{{
		"kty": "RSA", "use": "sig", "kid": e.botKid, "x5t": e.botKid,
		"n":            base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e":            base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		"endorsements": []string{"msteams"},
	}}})
}

// botToken signs the bearer token of a notification to a bot app.
func (e *Emulator) botToken(appID, tenantID string) (string, error) {
	now := e.clock.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": BotFrameworkIssuer, "aud": appID, "tid": tenantID,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(botTokenTTL).Unix(),
		"serviceurl": e.opts.BaseURL + "/v1.0/",
	})
	tok.Header["kid"] = e.botKid
	return tok.SignedString(e.botKey)
}

func setBotKey(e *Emulator, k *rsa.PrivateKey) {
	e.botKey, e.botKid = k, keyID(&k.PublicKey)
}
