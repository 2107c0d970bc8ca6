// Package account holds the rules for tenants, users, groups and licenses.
// The portal, the REST API, the CLI and jobs all change these through it, and
// every change is written to the audit log in the same transaction.
package account

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"

	"callrec/internal/caller"
	"callrec/internal/store"
)

// Errors callers map to answers.
var (
	ErrNotFound          = errors.New("account: not found")
	ErrDefaultGroupFixed = errors.New("account: the default group holds every user and cannot be renamed, edited, deleted or left")
	ErrLicenseExhausted  = errors.New("account: no license of that type is left in the tenant's pool")
	ErrForbidden         = errors.New("account: not allowed")
)

// Actor is who makes a change, for the audit log.
type Actor = caller.Actor

// System is the actor for changes made by callrec itself (CLI, jobs).
var System = Actor{Login: "system"}

// Service applies account rules on a store.
type Service struct {
	db  *store.DB
	now func() time.Time
}

// New returns a Service; now is the clock (time.Now in production).
func New(db *store.DB, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, now: now}
}

func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// NewID returns a time-ordered opaque id.
func NewID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

// Audit writes an entry inside tx. detail is marshalled to JSON.
func (s *Service) Audit(ctx context.Context, tx store.Q, a Actor, tenantID, action, objType, objID string, detail any) error {
	d := ""
	if detail != nil {
		b, err := json.Marshal(detail)
		if err != nil {
			return err
		}
		d = string(b)
	}
	return tx.InsertAudit(ctx, store.AuditEntry{ID: NewID(), TenantID: tenantID, ActorID: a.UserID, ActorLogin: a.Login,
		Action: action, ObjectType: objType, ObjectID: objID, Detail: d, IP: a.IP, CreatedAt: s.stamp()})
}

// mapStore converts store sentinels into this package's.
func mapStore(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return ErrNotFound
	case errors.Is(err, store.ErrDefaultGroupFixed):
		return ErrDefaultGroupFixed
	case errors.Is(err, store.ErrLicenseExhausted):
		return errors.Join(ErrLicenseExhausted, err)
	}
	return err
}
