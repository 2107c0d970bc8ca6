package auth

import (
	"context"
	"errors"
	"strings"
	"time"

	"callrec/internal/mail"

	"callrec/internal/roles"
	"callrec/internal/store"
)

// recoveryCodeCount is how many one-time recovery codes an enrolment gives.
const recoveryCodeCount = 10

// BeginEnrollment makes a new TOTP secret for the user, stored unconfirmed
// until ConfirmEnrollment sees a valid code from it.
func (s *Service) BeginEnrollment(ctx context.Context, u store.User) (TOTPKey, error) {
	if u.TOTPEnabled {
		return TOTPKey{}, ErrStage
	}
	key, err := NewTOTPKey(s.productName(ctx), u.Login)
	if err != nil {
		return key, err
	}
	return key, s.db.Q().SetTOTP(ctx, u.ID, s.sealTOTP(u.ID, key.Secret), false)
}

// ConfirmEnrollment turns 2-step verification on once the user proves the
// authenticator works, and returns fresh recovery codes (shown once).
func (s *Service) ConfirmEnrollment(ctx context.Context, sess *store.Session, userID, code, ip string) ([]string, error) {
	codes := NewRecoveryCodes(recoveryCodeCount)
	err := s.db.InTx(ctx, func(q store.Q) error {
		u, err := q.GetUserByID(ctx, userID)
		if err != nil {
			return err
		}
		if u.TOTPEnabled || u.TOTPSecret == "" {
			return ErrStage
		}
		secret, err := s.totpSecret(u)
		if err != nil {
			return err
		}
		step, ok := matchTOTP(secret, code, s.now())
		if !ok {
			return ErrInvalidCode
		}
		if err := q.UseTOTPStep(ctx, u.ID, step); err != nil {
			return ErrInvalidCode
		}
		if err := q.SetTOTP(ctx, u.ID, u.TOTPSecret, true); err != nil {
			return err
		}
		hashes := make([]string, len(codes))
		for i, c := range codes {
			hashes[i] = HashToken(c)
		}
		if err := q.ReplaceRecoveryCodes(ctx, u.ID, hashes); err != nil {
			return err
		}
		u.TOTPEnabled = true
		if sess != nil && sess.Stage == StageEnroll {
			if sess.Stage, err = s.nextStage(ctx, q, u); err != nil {
				return err
			}
			if err := q.UpdateSession(ctx, *sess); err != nil {
				return err
			}
		}
		return s.audit(ctx, q, &u, u.Login, "user.two_factor_enrolled", ip, nil)
	})
	return codes, err
}

// RegenerateRecoveryCodes replaces the user's recovery codes.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, u store.User, ip string) ([]string, error) {
	if !u.TOTPEnabled {
		return nil, ErrStage
	}
	codes := NewRecoveryCodes(recoveryCodeCount)
	hashes := make([]string, len(codes))
	for i, c := range codes {
		hashes[i] = HashToken(c)
	}
	err := s.db.InTx(ctx, func(q store.Q) error {
		if err := q.ReplaceRecoveryCodes(ctx, u.ID, hashes); err != nil {
			return err
		}
		return s.audit(ctx, q, &u, u.Login, "user.recovery_codes_regenerated", ip, nil)
	})
	return codes, err
}

// AcceptTerms records that the user accepted version v, which must be the
// current one, and moves a StageTerms session on.
func (s *Service) AcceptTerms(ctx context.Context, sess *store.Session, u store.User, v int, ip string) error {
	return s.db.InTx(ctx, func(q store.Q) error {
		current, err := s.termsVersion(ctx, q, u)
		if err != nil {
			return err
		}
		if v != current {
			return ErrStage
		}
		if err := q.AcceptTerms(ctx, u.ID, v); err != nil {
			return err
		}
		u.TermsAcceptedVersion = v
		if sess != nil && sess.Stage == StageTerms {
			if sess.Stage, err = s.nextStage(ctx, q, u); err != nil {
				return err
			}
			if err := q.UpdateSession(ctx, *sess); err != nil {
				return err
			}
		}
		return s.audit(ctx, q, &u, u.Login, "user.terms_accepted", ip, map[string]string{"version": itoa(v)})
	})
}

// RequestPasswordReset mails a single-use link valid for an hour; every
// earlier link of the user stops working. It says nothing about whether
// the login exists, and takes the same time either way (the mail goes out
// in the background), so it cannot be used to probe.
func (s *Service) RequestPasswordReset(ctx context.Context, login, ip string) error {
	if err := s.limits.check(ip, login, s.now()); err != nil {
		s.attempt(ctx, nil, login, "password_reset.rate_limited", ip, nil)
		return err
	}
	q := s.db.Q()
	u, err := q.GetUserByLogin(ctx, strings.TrimSpace(login))
	if errors.Is(err, store.ErrNotFound) {
		s.attempt(ctx, nil, login, "password_reset.request_unknown", ip, nil)
		return nil
	}
	if err != nil {
		return err
	}
	if !u.Active || u.Email == "" {
		s.attempt(ctx, &u, u.Login, "password_reset.request_refused", ip, map[string]string{"reason": "inactive or no email"})
		return nil
	}
	if u.AuthType == AuthTypeSAML {
		// A password would not let them sign in; the answer stays the same
		// as for any login so it tells nothing.
		s.attempt(ctx, &u, u.Login, "password_reset.request_refused", ip, map[string]string{"reason": "SAML 2.0 user"})
		return nil
	}
	token := RandomToken("r_")
	err = s.db.InTx(ctx, func(q store.Q) error {
		if err := q.InsertPasswordReset(ctx, HashToken(token), u.ID, s.stamp().Add(resetTTL)); err != nil {
			return err
		}
		return s.audit(ctx, q, &u, u.Login, "password_reset.request", ip, nil)
	})
	if err != nil {
		return err
	}
	link := s.publicURL + "/reset-password?token=" + token
	product := s.productName(ctx)
	body := "Someone asked to reset the " + product + " password for " + u.Login + ".\n\nOpen this link within an hour to choose a new password:\n" +
		link + "\n\nIf it was not you, ignore this message; your password stays as it is.\n"
	m := mailTo(u.Email, "Reset your "+product+" password", body)
	m.FromName = product
	s.sendLater(ctx, m)
	return nil
}

// mailTimeout bounds one mail delivery: a slow SMTP server must not hold
// requests or pile up goroutines.
const mailTimeout = 30 * time.Second

// sendLater delivers m in the background; a failure is logged (without
// the message, which holds the link).
func (s *Service) sendLater(ctx context.Context, m mail.Message) {
	s.mailing.Add(1)
	go func() {
		defer s.mailing.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), mailTimeout)
		defer cancel()
		if err := s.mail.Send(ctx, m); err != nil {
			s.log.Error("password reset mail not delivered", "to", m.To, "err", err)
		}
	}()
}

// FlushMail waits for mails on their way (shutdown, tests).
func (s *Service) FlushMail() { s.mailing.Wait() }

// ResetPassword sets a new password with a reset token, once.
func (s *Service) ResetPassword(ctx context.Context, token, password, ip string) error {
	if err := s.limits.check(ip, "", s.now()); err != nil {
		return err
	}
	if err := CheckPasswordRule(password); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(q store.Q) error {
		userID, err := q.ConsumePasswordReset(ctx, HashToken(token))
		if err != nil {
			return ErrExpired
		}
		if err := q.SetPasswordHash(ctx, userID, hash); err != nil {
			return err
		}
		if err := q.DeleteUserSessions(ctx, userID); err != nil {
			return err
		}
		u, err := q.GetUserByID(ctx, userID)
		if err != nil {
			return err
		}
		return s.audit(ctx, q, &u, u.Login, "password_reset.done", ip, nil)
	})
}

// SetPassword is an administrator's (or the CLI's) password reset.
func (s *Service) SetPassword(ctx context.Context, userID, password string) error {
	if err := CheckPasswordRule(password); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(q store.Q) error {
		if err := q.SetPasswordHash(ctx, userID, hash); err != nil {
			return err
		}
		if err := q.RevokePasswordResets(ctx, userID); err != nil {
			return err
		}
		return q.DeleteUserSessions(ctx, userID)
	})
}

// CreateToken issues an API bearer token for the user and returns it raw
// (only its hash is kept).
func (s *Service) CreateToken(ctx context.Context, u store.User, name string) (string, store.APIToken, error) {
	raw := RandomToken("cr_")
	id, err := newID()
	if err != nil {
		return "", store.APIToken{}, err
	}
	t := store.APIToken{ID: id, TenantID: u.TenantID, UserID: u.ID, Name: name, CreatedAt: s.stamp(), Hash: HashToken(raw)}
	if err := s.db.Q().InsertToken(ctx, t); err != nil {
		return "", t, err
	}
	return raw, t, nil
}

// ResolveBearer returns the token and user behind a bearer token; the user
// must be active, valid and hold API access.
func (s *Service) ResolveBearer(ctx context.Context, raw string) (store.APIToken, store.User, error) {
	q := s.db.Q()
	t, err := q.TokenByHash(ctx, HashToken(raw))
	if err != nil {
		return t, store.User{}, ErrInvalidCredentials
	}
	u, err := q.GetUserByID(ctx, t.UserID)
	if err != nil || !s.mayUse(u, roles.APIAccess) {
		return t, u, ErrInvalidCredentials
	}
	return t, u, nil
}
