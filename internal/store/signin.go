package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// LoginAttempt is what ReserveLoginAttempt made of one attempt.
type LoginAttempt struct {
	Admitted    bool
	Failures    int        // consecutive failures, this attempt counted as one
	LockedUntil *time.Time // set when the account is locked
}

// ReserveLoginAttempt admits a sign-in attempt unless the account is
// locked at now. It counts the attempt as a failure in advance (a success
// resets the count), and when that makes threshold or more consecutive
// failures it locks the account: locks[i] is the lock's expiry for the
// (threshold+i)-th failure, the last one for every later failure. The lock
// is set by the statement that admits the attempt, before the slow
// password check, so parallel attempts cannot slip past the limit.
func (q Q) ReserveLoginAttempt(ctx context.Context, userID string, now time.Time, threshold int, locks []time.Time) (LoginAttempt, error) {
	var b strings.Builder
	args := []any{}
	b.WriteString(`UPDATE users SET failed_logins = failed_logins + 1, locked_until = CASE`)
	for i, until := range locks[:len(locks)-1] {
		b.WriteString(` WHEN failed_logins + 1 = ? THEN ?`)
		args = append(args, threshold+i, until.UTC())
	}
	b.WriteString(` WHEN failed_logins + 1 >= ? THEN ? ELSE locked_until END
		WHERE id = ? AND (locked_until IS NULL OR locked_until <= ?) RETURNING failed_logins, locked_until`)
	args = append(args, threshold+len(locks)-1, locks[len(locks)-1].UTC(), userID, now.UTC())
	var a LoginAttempt
	var until sql.NullTime
	err := q.row(ctx, b.String(), args...).Scan(&a.Failures, &until)
	if err == nil {
		a.Admitted = true
		if until.Valid && until.Time.After(now) {
			a.LockedUntil = &until.Time
		}
		return a, nil
	}
	if err := mapErr(err); !errors.Is(err, ErrNotFound) {
		return a, fmt.Errorf("store: reserve login attempt: %w", err)
	}
	// Not admitted: locked (or gone).
	err = q.row(ctx, `SELECT failed_logins, locked_until FROM users WHERE id = ?`, userID).Scan(&a.Failures, &until)
	if err != nil {
		return a, fmt.Errorf("store: reserve login attempt: %w", mapErr(err))
	}
	if until.Valid {
		a.LockedUntil = &until.Time
	}
	return a, nil
}

// ResetLoginFailures clears the failure count after a successful sign-in.
func (q Q) ResetLoginFailures(ctx context.Context, userID string) error {
	return affectedOne(q.exec(ctx, `UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?`, userID))
}

// SetPasswordHash replaces the password and unlocks the account.
func (q Q) SetPasswordHash(ctx context.Context, userID, hash string) error {
	return affectedOne(q.exec(ctx, `UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL, updated_at = ? WHERE id = ?`,
		hash, q.Now(), userID))
}

// UseTOTPStep records the time step of a TOTP code being used; ErrNotFound
// when that step or a later one was used already (a replayed code).
func (q Q) UseTOTPStep(ctx context.Context, userID string, step int64) error {
	return affectedOne(q.exec(ctx, `UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?`, step, userID, step))
}

// UnsealedTOTPSecrets lists the users whose TOTP secret does not start
// with sealedPrefix (id, secret and whether 2-step is on).
func (q Q) UnsealedTOTPSecrets(ctx context.Context, sealedPrefix string) ([]User, error) {
	rows, err := q.query(ctx, `SELECT id, totp_secret, totp_enabled FROM users WHERE totp_secret <> '' AND totp_secret NOT LIKE ?`, sealedPrefix+"%")
	if err != nil {
		return nil, fmt.Errorf("store: unsealed secrets: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.ID, &u.TOTPSecret, &u.TOTPEnabled); err != nil {
			return nil, fmt.Errorf("store: unsealed secrets: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetTOTP stores the (encrypted or plain) TOTP secret and whether it is confirmed.
func (q Q) SetTOTP(ctx context.Context, userID, secret string, enabled bool) error {
	return affectedOne(q.exec(ctx, `UPDATE users SET totp_secret = ?, totp_enabled = ?, updated_at = ? WHERE id = ?`, secret, enabled, q.Now(), userID))
}

// AcceptTerms records the terms version the user acknowledged.
func (q Q) AcceptTerms(ctx context.Context, userID string, version int) error {
	return affectedOne(q.exec(ctx, `UPDATE users SET terms_accepted_version = ? WHERE id = ?`, version, userID))
}

// ReplaceRecoveryCodes discards the user's recovery codes and stores new hashes.
func (q Q) ReplaceRecoveryCodes(ctx context.Context, userID string, hashes []string) error {
	if _, err := q.exec(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("store: clear recovery codes: %w", err)
	}
	for _, h := range hashes {
		if _, err := q.exec(ctx, `INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)`, userID, h); err != nil {
			return fmt.Errorf("store: recovery code: %w", err)
		}
	}
	return nil
}

// UseRecoveryCode marks an unused code as used; ErrNotFound if there is none.
func (q Q) UseRecoveryCode(ctx context.Context, userID, hash string) error {
	return affectedOne(q.exec(ctx, `UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL`, q.Now(), userID, hash))
}

// RemainingRecoveryCodes counts the user's unused codes.
func (q Q) RemainingRecoveryCodes(ctx context.Context, userID string) (int, error) {
	var n int
	err := q.row(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL`, userID).Scan(&n)
	return n, mapErr(err)
}

// Session is a signed-in browser or API client. Stage says what the user must
// still do (second factor, enrolment, terms) before full access.
type Session struct {
	IDHash         string
	UserID         string
	Stage          string
	CSRFToken      string
	ActingTenantID string
	IP             string
	CreatedAt      time.Time
	ExpiresAt      time.Time
	// SAML names the IdP sign-in behind the session (zero for a password
	// sign-in), for Single Logout.
	SAML SAMLSession
}

// SAMLSession is what Single Logout needs to know of a SAML sign-in.
type SAMLSession struct {
	IdPID        string
	NameID       string
	SessionIndex string
}

// InsertSession stores a new session under the hash of its id.
func (q Q) InsertSession(ctx context.Context, s Session) error {
	_, err := q.exec(ctx, `INSERT INTO sessions (id_hash, user_id, stage, csrf_token, acting_tenant_id, ip, created_at, expires_at,
		saml_idp_id, saml_name_id, saml_session_index)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, s.IDHash, s.UserID, s.Stage, s.CSRFToken, nullable(s.ActingTenantID), s.IP, s.CreatedAt, s.ExpiresAt,
		s.SAML.IdPID, s.SAML.NameID, s.SAML.SessionIndex)
	if err != nil {
		return fmt.Errorf("store: insert session: %w", err)
	}
	return nil
}

// GetSession returns an unexpired session.
func (q Q) GetSession(ctx context.Context, idHash string) (Session, error) {
	var s Session
	var acting sql.NullString
	err := q.row(ctx, `SELECT id_hash, user_id, stage, csrf_token, acting_tenant_id, ip, created_at, expires_at,
		saml_idp_id, saml_name_id, saml_session_index FROM sessions
		WHERE id_hash = ? AND expires_at > ?`, idHash, q.Now()).
		Scan(&s.IDHash, &s.UserID, &s.Stage, &s.CSRFToken, &acting, &s.IP, &s.CreatedAt, &s.ExpiresAt,
			&s.SAML.IdPID, &s.SAML.NameID, &s.SAML.SessionIndex)
	if err != nil {
		return s, fmt.Errorf("store: get session: %w", mapErr(err))
	}
	s.ActingTenantID = acting.String
	return s, nil
}

// UpdateSession changes a session's stage, acting tenant and expiry.
func (q Q) UpdateSession(ctx context.Context, s Session) error {
	return affectedOne(q.exec(ctx, `UPDATE sessions SET stage = ?, acting_tenant_id = ?, expires_at = ? WHERE id_hash = ?`,
		s.Stage, nullable(s.ActingTenantID), s.ExpiresAt, s.IDHash))
}

// DeleteSession signs a session out.
func (q Q) DeleteSession(ctx context.Context, idHash string) error {
	_, err := q.exec(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash)
	return err
}

// DeleteUserSessions signs a user out everywhere (password reset, deactivation).
func (q Q) DeleteUserSessions(ctx context.Context, userID string) error {
	_, err := q.exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
	return err
}

// InsertPasswordReset stores a reset token's hash; every earlier link of
// the user stops working.
func (q Q) InsertPasswordReset(ctx context.Context, tokenHash, userID string, expires time.Time) error {
	if err := q.RevokePasswordResets(ctx, userID); err != nil {
		return err
	}
	_, err := q.exec(ctx, `INSERT INTO password_resets (token_hash, user_id, expires_at) VALUES (?, ?, ?)`, tokenHash, userID, expires)
	return err
}

// RevokePasswordResets marks every unused reset link of the user used.
func (q Q) RevokePasswordResets(ctx context.Context, userID string) error {
	if _, err := q.exec(ctx, `UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL`, q.Now(), userID); err != nil {
		return fmt.Errorf("store: revoke password resets: %w", err)
	}
	return nil
}

// ConsumePasswordReset marks an unexpired, unused reset token used and
// returns its user; the update makes it single-use under concurrency.
func (q Q) ConsumePasswordReset(ctx context.Context, tokenHash string) (string, error) {
	var userID string
	if err := q.row(ctx, `SELECT user_id FROM password_resets WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?`,
		tokenHash, q.Now()).Scan(&userID); err != nil {
		return "", fmt.Errorf("store: password reset: %w", mapErr(err))
	}
	err := affectedOne(q.exec(ctx, `UPDATE password_resets SET used_at = ? WHERE token_hash = ? AND used_at IS NULL`, q.Now(), tokenHash))
	if err != nil {
		return "", fmt.Errorf("store: password reset: %w", err)
	}
	// Completing one reset voids every other link of the user.
	return userID, q.RevokePasswordResets(ctx, userID)
}
