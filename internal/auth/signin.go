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
	if err := s.limits.check(r.IP, r.Login, s.now()); err != nil {
		s.attempt(ctx, nil, r.Login, "signin.rate_limited", r.IP, nil)
		return SignedIn{}, err
	}
	q := s.db.Q()
	u, err := q.GetUserByLogin(ctx, r.Login)
	if errors.Is(err, store.ErrNotFound) {
		if err := s.hasher.Run(ctx, func() error { VerifySecret(dummyHash, r.Password); return nil }); err != nil {
			return SignedIn{}, err
		}
		s.attempt(ctx, nil, r.Login, "signin.failure", r.IP, map[string]string{"reason": "unknown login"})
		return SignedIn{}, ErrInvalidCredentials
	}
	if err != nil {
		return SignedIn{}, err
	}
	if u.AuthType == AuthTypeSAML {
		// Costs a hash like any other answer; says where to sign in instead.
		if err := s.hasher.Run(ctx, func() error { VerifySecret(dummyHash, r.Password); return nil }); err != nil {
			return SignedIn{}, err
		}
		s.attempt(ctx, &u, r.Login, "signin.denied", r.IP, map[string]string{"reason": "SAML 2.0 user tried a password"})
		return SignedIn{}, ErrUseSSO
	}
	// The attempt is admitted and counted before the slow hash, in one
	// statement, so parallel guesses cannot pass the lockout.
	var att store.LoginAttempt
	var ok bool
	err = s.hasher.Run(ctx, func() error {
		var err error
		if att, err = s.reserve(ctx, u); err != nil || !att.Admitted {
			return err
		}
		ok = u.PasswordHash != "" && VerifySecret(u.PasswordHash, r.Password)
		return nil
	})
	if err != nil {
		return SignedIn{}, err
	}
	if !att.Admitted {
		s.attempt(ctx, &u, r.Login, "signin.locked", r.IP, nil)
		return SignedIn{}, &LockedError{Until: *att.LockedUntil}
	}
	if !ok {
		return SignedIn{}, s.failed(ctx, u, att, r.IP, "wrong password")
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
			return SignedIn{}, s.failed(ctx, u, att, r.IP, "wrong 2-step code")
		}
	}
	if !u.TOTPEnabled || r.Code != "" {
		if stage, err = s.nextStage(ctx, q, u); err != nil {
			return SignedIn{}, err
		}
	}
	var out SignedIn
	err = s.db.InTx(ctx, func(q store.Q) error {
		if err := q.ResetLoginFailures(ctx, u.ID); err != nil {
			return err
		}
		if out, err = s.startSession(ctx, q, u, stage, r.IP); err != nil {
			return err
		}
		return s.audit(ctx, q, &u, u.Login, "signin.success", r.IP, map[string]string{"stage": stage})
	})
	return out, err
}

// reserve admits and counts one attempt for the user (store.ReserveLoginAttempt):
// lockThreshold consecutive failures lock the account for baseLock, each
// further one for twice as long, up to maxLock.
func (s *Service) reserve(ctx context.Context, u store.User) (store.LoginAttempt, error) {
	now := s.stamp()
	var locks []time.Time
	for d := baseLock; ; d *= 2 {
		locks = append(locks, now.Add(min(d, maxLock)))
		if d >= maxLock {
			break
		}
	}
	return s.db.Q().ReserveLoginAttempt(ctx, u.ID, now, lockThreshold, locks)
}

// failed audits an attempt that failed (reserve counted it) and says
// whether the account is now locked.
func (s *Service) failed(ctx context.Context, u store.User, att store.LoginAttempt, ip, reason string) error {
	detail := map[string]string{"reason": reason, "failures": itoa(att.Failures)}
	if att.LockedUntil != nil {
		detail["locked_until"] = att.LockedUntil.Format(time.RFC3339)
	}
	s.attempt(ctx, &u, u.Login, "signin.failure", ip, detail)
	if att.LockedUntil != nil {
		return &LockedError{Until: *att.LockedUntil}
	}
	return ErrInvalidCredentials
}

// checkCode accepts a current TOTP code once, or an unused recovery code
// (which it uses up).
func (s *Service) checkCode(ctx context.Context, u store.User, code string) bool {
	secret, err := s.totpSecret(u)
	if err != nil {
		s.log.Error("auth: 2-step check", "err", err)
		return false
	}
	if step, ok := matchTOTP(secret, code, s.now()); ok {
		// A code seen before, even if still current, is a replay.
		return s.db.Q().UseTOTPStep(ctx, u.ID, step) == nil
	}
	norm := NormalizeRecoveryCode(code)
	if len(norm) != 11 {
		return false
	}
	return s.db.Q().UseRecoveryCode(ctx, u.ID, HashToken(norm)) == nil
}

func (s *Service) startSession(ctx context.Context, q store.Q, u store.User, stage, ip string) (SignedIn, error) {
	return s.newSession(ctx, q, u, stage, ip, store.SAMLSession{})
}

// newSession starts a session; saml names the IdP sign-in behind it, if any.
func (s *Service) newSession(ctx context.Context, q store.Q, u store.User, stage, ip string, saml store.SAMLSession) (SignedIn, error) {
	token := RandomToken("s_")
	now := s.stamp()
	sess := store.Session{IDHash: HashToken(token), UserID: u.ID, Stage: stage, CSRFToken: RandomToken(""), IP: ip,
		CreatedAt: now, ExpiresAt: now.Add(sessionTTL), SAML: saml}
	if err := q.InsertSession(ctx, sess); err != nil {
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
	if err := s.limits.check(ip, u.Login, s.now()); err != nil {
		return sess, err
	}
	att, err := s.reserve(ctx, u)
	if err != nil {
		return sess, err
	}
	if !att.Admitted {
		_ = q.DeleteSession(ctx, sess.IDHash)
		return sess, &LockedError{Until: *att.LockedUntil}
	}
	if !s.checkCode(ctx, u, code) {
		if err := s.failed(ctx, u, att, ip, "wrong 2-step code"); errors.As(err, new(*LockedError)) {
			_ = q.DeleteSession(ctx, sess.IDHash)
			return sess, err
		}
		return sess, ErrInvalidCode
	}
	if sess.Stage, err = s.nextStage(ctx, q, u); err != nil {
		return sess, err
	}
	return sess, s.db.InTx(ctx, func(q store.Q) error {
		if err := q.ResetLoginFailures(ctx, u.ID); err != nil {
			return err
		}
		if err := q.UpdateSession(ctx, sess); err != nil {
			return err
		}
		return s.audit(ctx, q, &u, u.Login, "signin.second_factor", ip, nil)
	})
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
	return s.db.InTx(ctx, func(q store.Q) error {
		if err := q.DeleteSession(ctx, sess.IDHash); err != nil {
			return err
		}
		return s.audit(ctx, q, &u, u.Login, "signout", ip, nil)
	})
}

// SetActingTenant records the tenant a provider admin is working in ("":
// the provider's own view), audited in the same transaction. A tenant that
// does not exist is store.ErrNotFound. Only the provider's own admins act
// in other tenants: anyone else is ErrForbidden.
func (s *Service) SetActingTenant(ctx context.Context, sess store.Session, u store.User, tenantID, ip string) error {
	if u.TenantID != "" || !roles.Has(u.Role, roles.TenantsManage) {
		return ErrForbidden
	}
	return s.db.InTx(ctx, func(q store.Q) error {
		if tenantID != "" {
			if _, err := q.GetTenant(ctx, tenantID); err != nil {
				return err
			}
		}
		sess.ActingTenantID = tenantID
		if err := q.UpdateSession(ctx, sess); err != nil {
			return err
		}
		return s.audit(ctx, q, &u, u.Login, "session.switch_tenant", ip, map[string]string{"tenant_id": tenantID})
	})
}
