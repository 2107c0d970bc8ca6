package auth

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTPKey is a new enrolment: the secret, the otpauth:// URL an
// authenticator app reads, and that URL as a QR code PNG.
type TOTPKey struct {
	Secret string
	URL    string
	QRPNG  []byte
}

// NewTOTPKey makes a 6-digit, 30-second SHA-1 key (what every
// authenticator app supports).
func NewTOTPKey(issuer, account string) (TOTPKey, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Digits: otp.DigitsSix, Period: 30})
	if err != nil {
		return TOTPKey{}, fmt.Errorf("auth: totp key: %w", err)
	}
	img, err := key.Image(220, 220)
	if err != nil {
		return TOTPKey{}, fmt.Errorf("auth: totp qr: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return TOTPKey{}, fmt.Errorf("auth: totp qr: %w", err)
	}
	return TOTPKey{Secret: key.Secret(), URL: key.URL(), QRPNG: buf.Bytes()}, nil
}

// ValidTOTP checks a 6-digit code at the given time, allowing one step of
// clock skew either way.
func ValidTOTP(secret, code string, now time.Time) bool {
	code = strings.TrimSpace(code)
	if len(code) != 6 || secret == "" {
		return false
	}
	ok, err := totp.ValidateCustom(code, secret, now, totp.ValidateOpts{Period: 30, Skew: 1, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	return err == nil && ok
}

// matchTOTP finds the time step of a 6-digit code at now, allowing one
// step of clock skew either way.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	code = strings.TrimSpace(code)
	if len(code) != 6 || secret == "" {
		return 0, false
	}
	for _, skew := range []time.Duration{0, -30 * time.Second, 30 * time.Second} {
		at := now.Add(skew)
		want, err := TOTPCode(secret, at)
		if err == nil && SameToken(want, code) {
			return at.Unix() / 30, true
		}
	}
	return 0, false
}

// TOTPCode computes the code for a time; tests and the demo use it.
func TOTPCode(secret string, at time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

// NewRecoveryCodes returns n one-time codes shaped XXXXX-XXXXX from the
// base32 alphabet (50 bits each).
func NewRecoveryCodes(n int) []string {
	out := make([]string, n)
	for i := range out {
		t := rand.Text()
		out[i] = t[:5] + "-" + t[5:10]
	}
	return out
}

// NormalizeRecoveryCode uppercases and strips spaces so people can type
// codes loosely.
func NormalizeRecoveryCode(code string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(code), " ", ""))
}
