package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"callrec/internal/mail"
	"callrec/internal/roles"
	"callrec/internal/secretbox"
	"callrec/internal/store"
)

// Errors the edges map to answers.
var (
	ErrInvalidCredentials = errors.New("auth: invalid login or password")
	ErrTwoFactorRequired  = errors.New("auth: a 2-step verification code is required")
	ErrNoAccess           = errors.New("auth: this account may not sign in")
	ErrInvalidCode        = errors.New("auth: the code is not valid")
	ErrExpired            = errors.New("auth: the link has expired or was already used")
	ErrStage              = errors.New("auth: finish signing in first")
	ErrForbidden          = errors.New("auth: not allowed")
)

// LockedError says the account is locked until a time.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string {
	return "auth: account locked until " + e.Until.Format(time.RFC3339)
}

// Session stages: what a signed-in user must still do.
const (
	StageMFA    = "mfa"    // enter a TOTP or recovery code
	StageEnroll = "enroll" // set up 2-step verification (enforced)
	StageTerms  = "terms"  // accept the current terms and conditions
	StageOK     = "ok"     // full access
)

// Lockout policy: after lockThreshold consecutive failures each further
// failure locks the account for twice as long, up to maxLock.
const (
	lockThreshold = 5
	baseLock      = time.Minute
	maxLock       = time.Hour
	sessionTTL    = 12 * time.Hour
	resetTTL      = time.Hour
)

// Service signs users in and keeps their sessions and tokens.
type Service struct {
	db        *store.DB
	now       func() time.Time
	mail      mail.Sender
	log       *slog.Logger
	publicURL string
	issuer    string
	product   func(ctx context.Context) string
	hasher    *Hasher
	limits    *limiter
	mailing   sync.WaitGroup // reset mails on their way
	attempts  attemptLog
	box       *secretbox.Box
}

// Options configures a Service.
type Options struct {
	Now       func() time.Time
	Mail      mail.Sender
	Log       *slog.Logger
	PublicURL string
	Issuer    string // name shown in authenticator apps, without a Product
	// Product names the product as the provider brands it, in
	// authenticator apps and e-mails (nil: Issuer).
	Product func(ctx context.Context) string
	Hasher  *Hasher // bounds password hashing (nil: one sized to the machine)
	Limits  Limits  // sign-in rate limits
	// Box seals TOTP secrets at rest (nil: stored as given; tests only).
	Box *secretbox.Box
}

// NewService returns a sign-in service.
func NewService(db *store.DB, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Mail == nil {
		o.Mail = mail.LogSender{Log: o.Log}
	}
	if o.Issuer == "" {
		o.Issuer = "callrec"
	}
	if o.Hasher == nil {
		o.Hasher = NewHasher(0, 0, 0)
	}
	return &Service{db: db, now: o.Now, mail: o.Mail, log: o.Log, publicURL: o.PublicURL, issuer: o.Issuer, product: o.Product,
		hasher: o.Hasher, limits: newLimiter(o.Limits), box: o.Box}
}

// Hasher is the service's bounded password hasher, for other services
// that set passwords and PINs.
func (s *Service) Hasher() *Hasher { return s.hasher }

// productName is what authenticator apps and e-mails call the product.
func (s *Service) productName(ctx context.Context) string {
	if s.product != nil {
		if n := s.product(ctx); n != "" {
			return n
		}
	}
	return s.issuer
}

func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// audit writes a sign-in related entry; failures to audit are logged, never
// hidden, and do not block sign-in.
func (s *Service) audit(ctx context.Context, q store.Q, u *store.User, login, action, ip string, detail map[string]string) error {
	e := store.AuditEntry{Action: action, ActorLogin: login, ObjectType: "user", IP: ip, CreatedAt: s.stamp()}
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	e.ID = id.String()
	if u != nil {
		e.TenantID, e.ActorID, e.ObjectID, e.ActorLogin = u.TenantID, u.ID, u.ID, u.Login
	}
	if detail != nil {
		b, _ := json.Marshal(detail)
		e.Detail = string(b)
	}
	if err := q.InsertAudit(ctx, e); err != nil {
		return fmt.Errorf("auth: audit %s: %w", action, err)
	}
	return nil
}

// termsVersion is the version the user must have accepted.
func (s *Service) termsVersion(ctx context.Context, q store.Q, u store.User) (int, error) {
	if u.TenantID == "" {
		p, err := q.GetProvider(ctx)
		if errors.Is(err, store.ErrNotFound) {
			return 1, nil
		}
		return p.TermsVersion, err
	}
	t, err := q.GetTenant(ctx, u.TenantID)
	return t.TermsVersion, err
}

// TermsVersion is the terms version the user must accept.
func (s *Service) TermsVersion(ctx context.Context, u store.User) (int, error) {
	return s.termsVersion(ctx, s.db.Q(), u)
}

// twoFactorRequired tells whether the user must use 2-step verification.
func (s *Service) twoFactorRequired(ctx context.Context, q store.Q, u store.User) (bool, error) {
	if u.Require2FA {
		return true, nil
	}
	if u.TenantID == "" {
		return false, nil
	}
	t, err := q.GetTenant(ctx, u.TenantID)
	return t.Enforce2FA, err
}

// TwoFactorStatus is a user's 2-step verification as their Security page shows it.
type TwoFactorStatus struct {
	Enabled   bool
	Enforced  bool // by the user's profile or their tenant
	Remaining int  // recovery codes left
}

// TwoFactor returns u's own 2-step verification status; the portal shows
// it to u only, so it takes the signed-in user rather than an id.
func (s *Service) TwoFactor(ctx context.Context, u store.User) (TwoFactorStatus, error) {
	q := s.db.Q()
	st := TwoFactorStatus{Enabled: u.TOTPEnabled}
	var err error
	if st.Enforced, err = s.twoFactorRequired(ctx, q, u); err != nil {
		return st, fmt.Errorf("auth: 2-step status: %w", err)
	}
	if st.Enabled {
		if st.Remaining, err = q.RemainingRecoveryCodes(ctx, u.ID); err != nil {
			return st, fmt.Errorf("auth: recovery codes left: %w", err)
		}
	}
	return st, nil
}

// nextStage is where a user goes once any second factor has been checked.
func (s *Service) nextStage(ctx context.Context, q store.Q, u store.User) (string, error) {
	need2FA, err := s.twoFactorRequired(ctx, q, u)
	if err != nil {
		return "", err
	}
	if need2FA && !u.TOTPEnabled {
		return StageEnroll, nil
	}
	v, err := s.termsVersion(ctx, q, u)
	if err != nil {
		return "", err
	}
	if u.TermsAcceptedVersion < v {
		return StageTerms, nil
	}
	return StageOK, nil
}

// mayUse says whether the account can be used now through a door that
// needs the given permission (portal or API).
func (s *Service) mayUse(u store.User, perm roles.Permission) bool {
	if !u.Active || !roles.Has(u.Role, perm) {
		return false
	}
	if perm == roles.PortalAccess && !u.PortalAccess {
		return false
	}
	return u.ValidTill == nil || s.now().Before(*u.ValidTill)
}
