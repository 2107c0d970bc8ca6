package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// RecordLoginFailure counts a failed sign-in and sets the lock expiry.
func (q Q) RecordLoginFailure(ctx context.Context, userID string, failed int, lockedUntil *time.Time) error {
	return affectedOne(q.exec(ctx, `UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?`, failed, nullTime(lockedUntil), userID))
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
}

// InsertSession stores a new session under the hash of its id.
func (q Q) InsertSession(ctx context.Context, s Session) error {
	_, err := q.exec(ctx, `INSERT INTO sessions (id_hash, user_id, stage, csrf_token, acting_tenant_id, ip, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, s.IDHash, s.UserID, s.Stage, s.CSRFToken, nullable(s.ActingTenantID), s.IP, s.CreatedAt, s.ExpiresAt)
	if err != nil {
		return fmt.Errorf("store: insert session: %w", err)
	}
	return nil
}

// GetSession returns an unexpired session.
func (q Q) GetSession(ctx context.Context, idHash string) (Session, error) {
	var s Session
	var acting sql.NullString
	err := q.row(ctx, `SELECT id_hash, user_id, stage, csrf_token, acting_tenant_id, ip, created_at, expires_at FROM sessions
		WHERE id_hash = ? AND expires_at > ?`, idHash, q.Now()).
		Scan(&s.IDHash, &s.UserID, &s.Stage, &s.CSRFToken, &acting, &s.IP, &s.CreatedAt, &s.ExpiresAt)
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

// InsertPasswordReset stores a reset token's hash.
func (q Q) InsertPasswordReset(ctx context.Context, tokenHash, userID string, expires time.Time) error {
	_, err := q.exec(ctx, `INSERT INTO password_resets (token_hash, user_id, expires_at) VALUES (?, ?, ?)`, tokenHash, userID, expires)
	return err
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
	return userID, nil
}
