package msemu

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"

	"github.com/golang-jwt/jwt/v5"
)

// RollSigningKey starts signing tokens with a new key, as Microsoft does
// every few weeks (learn.microsoft.com/entra/identity-platform/signing-key-rollover).
// The old key stays published and valid for tokens already issued, so a
// client that caches the key set must fetch it again when a token names
// a key id it does not know. It returns the new key id.
func (e *Emulator) RollSigningKey() (string, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", fmt.Errorf("msemu: signing key: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.retired = append([]*rsa.PrivateKey{e.key}, e.retired...)
	if len(e.retired) > 2 {
		e.retired = e.retired[:2]
	}
	e.key, e.kid = k, keyID(&k.PublicKey)
	return e.kid, nil
}

// verificationKey picks the published key a token names (callers hold e.mu).
func (e *Emulator) verificationKey(tok *jwt.Token) (any, error) {
	kid, _ := tok.Header["kid"].(string)
	if kid == "" || kid == e.kid {
		return &e.key.PublicKey, nil
	}
	for _, k := range e.retired {
		if keyID(&k.PublicKey) == kid {
			return &k.PublicKey, nil
		}
	}
	return nil, fmt.Errorf("msemu: unknown signing key %q", kid)
}

// emuRollKeys is POST /emu/signing-keys/roll: RollSigningKey for scripts.
func (e *Emulator) emuRollKeys(w http.ResponseWriter, _ *http.Request) {
	kid, err := e.RollSigningKey()
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"kid": kid})
}
