package auth

import (
	"context"
	"errors"
	"time"

	"callrec/internal/roles"
	"callrec/internal/store"
)

// SignInRequest is one password sign-in attempt.
type SignInRequest struct {
	Login    string
	Password string
	Code     string // TOTP or recovery code, when the caller has it
	IP       string
	// Partial lets a browser sign in in two steps: without a code the
	// session starts at StageMFA instead of failing.
	Partial bool
}

// SignedIn is the result of a sign-in: the raw session token (for the
// cookie), the session and the user.
type SignedIn struct {
	Token   string
	Session store.Session
	User    store.User
}

// dummyHash lets unknown logins cost as much as known ones.
var dummyHash = mustHash("not-a-real-password")

func mustHash(s string) string {
	h, err := HashSecret(s)
	if err != nil {
		panic(err)
	}
	return h
}

// SignIn checks a login and password (and code, if 2-step verification is
// on) and starts a session. Every attempt is audited.
func (s *Service) SignIn(ctx context.Context, r SignInRequest) (SignedIn, error) {
	q := s.db.Q()
	u, err := q.GetUserByLogin(ctx, r.Login)
	if errors.Is(err, store.ErrNotFound) {
		VerifySecret(dummyHash, r.Password)
		_ = s.audit(ctx, q, nil, r.Login, "signin.failure", r.IP, map[string]string{"reason": "unknown login"})
		return SignedIn{}, ErrInvalidCredentials
	}
	if err != nil {
		return SignedIn{}, err
	}
	if u.LockedUntil != nil && s.now().Before(*u.LockedUntil) {
		_ = s.audit(ctx, q, &u, r.Login, "signin.locked", r.IP, nil)
		return SignedIn{}, &LockedError{Until: *u.LockedUntil}
	}
	if u.PasswordHash == "" || !VerifySecret(u.PasswordHash, r.Password) {
		return SignedIn{}, s.fail(ctx, u, r.IP, "wrong password")
	}
	if !s.mayUse(u, roles.PortalAccess) {
		_ = s.audit(ctx, q, &u, r.Login, "signin.denied", r.IP, map[string]string{"reason": "no portal access"})
		return SignedIn{}, ErrNoAccess
	}
	stage := StageMFA
	if u.TOTPEnabled && r.Code == "" && !r.Partial {
		return SignedIn{}, ErrTwoFactorRequired
	}
	if u.TOTPEnabled && r.Code != "" {
		if !s.checkCode(ctx, u, r.Code) {
			return SignedIn{}, s.fail(ctx, u, r.IP, "wrong 2-step code")
		}
	}
	if !u.TOTPEnabled || r.Code != "" {
		if stage, err = s.nextStage(ctx, q, u); err != nil {
			return SignedIn{}, err
		}
	}
	if err := q.ResetLoginFailures(ctx, u.ID); err != nil {
		return SignedIn{}, err
	}
	out, err := s.startSession(ctx, u, stage, r.IP)
	if err != nil {
		return out, err
	}
	return out, s.audit(ctx, q, &u, u.Login, "signin.success", r.IP, map[string]string{"stage": stage})
}

// fail counts a failed attempt and locks the account progressively.
func (s *Service) fail(ctx context.Context, u store.User, ip, reason string) error {
	failed := u.FailedLogins + 1
	var until *time.Time
	if failed >= lockThreshold {
		d := baseLock << min(failed-lockThreshold, 10)
		if d > maxLock {
			d = maxLock
		}
		t := s.stamp().Add(d)
		until = &t
	}
	q := s.db.Q()
	if err := q.RecordLoginFailure(ctx, u.ID, failed, until); err != nil {
		return err
	}
	detail := map[string]string{"reason": reason}
	if until != nil {
		detail["locked_until"] = until.Format(time.RFC3339)
	}
	if err := s.audit(ctx, q, &u, u.Login, "signin.failure", ip, detail); err != nil {
		return err
	}
	if until != nil {
		return &LockedError{Until: *until}
	}
	return ErrInvalidCredentials
}

// checkCode accepts a current TOTP code or an unused recovery code (which
// it uses up).
func (s *Service) checkCode(ctx context.Context, u store.User, code string) bool {
	if ValidTOTP(u.TOTPSecret, code, s.now()) {
		return true
	}
	norm := NormalizeRecoveryCode(code)
	if len(norm) != 11 {
		return false
	}
	return s.db.Q().UseRecoveryCode(ctx, u.ID, HashToken(norm)) == nil
}

func (s *Service) startSession(ctx context.Context, u store.User, stage, ip string) (SignedIn, error) {
	token := RandomToken("s_")
	now := s.stamp()
	sess := store.Session{IDHash: HashToken(token), UserID: u.ID, Stage: stage, CSRFToken: RandomToken(""), IP: ip,
		CreatedAt: now, ExpiresAt: now.Add(sessionTTL)}
	if err := s.db.Q().InsertSession(ctx, sess); err != nil {
		return SignedIn{}, err
	}
	return SignedIn{Token: token, Session: sess, User: u}, nil
}

// VerifySecondFactor completes a StageMFA session with a TOTP or recovery code.
func (s *Service) VerifySecondFactor(ctx context.Context, sess store.Session, code, ip string) (store.Session, error) {
	if sess.Stage != StageMFA {
		return sess, ErrStage
	}
	q := s.db.Q()
	u, err := q.GetUserByID(ctx, sess.UserID)
	if err != nil {
		return sess, err
	}
	if u.LockedUntil != nil && s.now().Before(*u.LockedUntil) {
		return sess, &LockedError{Until: *u.LockedUntil}
	}
	if !s.checkCode(ctx, u, code) {
		if err := s.fail(ctx, u, ip, "wrong 2-step code"); errors.As(err, new(*LockedError)) {
			_ = q.DeleteSession(ctx, sess.IDHash)
			return sess, err
		}
		return sess, ErrInvalidCode
	}
	if err := q.ResetLoginFailures(ctx, u.ID); err != nil {
		return sess, err
	}
	if sess.Stage, err = s.nextStage(ctx, q, u); err != nil {
		return sess, err
	}
	if err := q.UpdateSession(ctx, sess); err != nil {
		return sess, err
	}
	return sess, s.audit(ctx, q, &u, u.Login, "signin.second_factor", ip, nil)
}

// Resolve returns the session and user behind a session token, and checks
// the user may still use the portal (deactivation takes effect at once).
func (s *Service) Resolve(ctx context.Context, token string) (store.Session, store.User, error) {
	q := s.db.Q()
	sess, err := q.GetSession(ctx, HashToken(token))
	if err != nil {
		return sess, store.User{}, ErrInvalidCredentials
	}
	u, err := q.GetUserByID(ctx, sess.UserID)
	if err != nil || !s.mayUse(u, roles.PortalAccess) {
		return sess, u, ErrInvalidCredentials
	}
	return sess, u, nil
}

// SignOut ends a session.
func (s *Service) SignOut(ctx context.Context, sess store.Session, u store.User, ip string) error {
	q := s.db.Q()
	if err := q.DeleteSession(ctx, sess.IDHash); err != nil {
		return err
	}
	return s.audit(ctx, q, &u, u.Login, "signout", ip, nil)
}

// SetActingTenant records the tenant a provider admin is working in.
func (s *Service) SetActingTenant(ctx context.Context, sess store.Session, tenantID string) error {
	sess.ActingTenantID = tenantID
	return s.db.Q().UpdateSession(ctx, sess)
}
