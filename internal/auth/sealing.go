package auth

import (
	"context"
	"fmt"
	"strings"

	"callrec/internal/store"
)

// sealedPrefix marks a TOTP secret stored sealed; one without it was
// written before secrets were sealed, and SealStoredSecrets seals it.
const sealedPrefix = "sealed:"

// sealTOTP is how a TOTP secret is stored: sealed with the installation's
// key, bound to the user, when the service has a box.
func (s *Service) sealTOTP(userID, secret string) string {
	if s.box == nil || secret == "" {
		return secret
	}
	return sealedPrefix + s.box.Seal([]byte(secret), "totp:"+userID)
}

// totpSecret opens the stored secret of a user.
func (s *Service) totpSecret(u store.User) (string, error) {
	stored, ok := strings.CutPrefix(u.TOTPSecret, sealedPrefix)
	if !ok {
		return u.TOTPSecret, nil
	}
	if s.box == nil {
		return "", fmt.Errorf("auth: the TOTP secret of %s is sealed and no key is configured", u.Login)
	}
	b, err := s.box.Open(stored, "totp:"+u.ID)
	if err != nil {
		return "", fmt.Errorf("auth: open the TOTP secret of %s: %w", u.Login, err)
	}
	return string(b), nil
}

// SealStoredSecrets seals the TOTP secrets stored in the clear by an
// earlier version; it runs at start-up and does nothing once all are.
func (s *Service) SealStoredSecrets(ctx context.Context) (int, error) {
	if s.box == nil {
		return 0, nil
	}
	users, err := s.db.Q().UnsealedTOTPSecrets(ctx, sealedPrefix)
	if err != nil {
		return 0, err
	}
	for _, u := range users {
		if err := s.db.Q().SetTOTP(ctx, u.ID, s.sealTOTP(u.ID, u.TOTPSecret), u.TOTPEnabled); err != nil {
			return 0, err
		}
	}
	return len(users), nil
}

// PendingSecret is the secret of an enrolment not yet confirmed, to show
// again when the first code was wrong; "" once 2-step is on.
func (s *Service) PendingSecret(u store.User) (string, error) {
	if u.TOTPEnabled {
		return "", nil
	}
	return s.totpSecret(u)
}
