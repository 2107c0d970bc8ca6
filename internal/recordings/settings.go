package recordings

import (
	"context"

	"callrec/internal/caller"
	"callrec/internal/roles"
	"callrec/internal/store"
	"callrec/internal/validate"
)

// StorageUse is what a tenant's recordings take and how long they stay.
type StorageUse struct {
	Recordings    int64 `json:"recordings"`
	Bytes         int64 `json:"bytes"`
	RetentionDays int   `json:"retention_days"`
}

// Storage reports the caller's tenant's storage use (settings.manage).
func (s *Service) Storage(ctx context.Context, p *caller.Caller) (StorageUse, error) {
	if p.TenantID == "" || !p.Can(roles.SettingsManage) {
		return StorageUse{}, ErrForbidden
	}
	q := s.DB.Q()
	use, err := q.TenantStorage(ctx, p.TenantID)
	if err != nil {
		return StorageUse{}, err
	}
	t, err := q.GetTenant(ctx, p.TenantID)
	if err != nil {
		return StorageUse{}, err
	}
	return StorageUse{Recordings: use.Recordings, Bytes: use.Bytes, RetentionDays: t.RetentionDays}, nil
}

// AutoResumeAfter is after how many seconds a paused call resumes by itself
// (0: never), for the caller's tenant.
func (s *Service) AutoResumeAfter(ctx context.Context, p *caller.Caller) (int, error) {
	if p.TenantID == "" || !p.Can(roles.SettingsManage) {
		return 0, ErrForbidden
	}
	return s.DB.Q().AutoResumeSeconds(ctx, p.TenantID)
}

// SetAutoResume changes it, audited in the same transaction.
func (s *Service) SetAutoResume(ctx context.Context, p *caller.Caller, secs int) error {
	if p.TenantID == "" || !p.Can(roles.SettingsManage) {
		return ErrForbidden
	}
	if secs < 0 || secs > 86400 {
		return validate.Field("auto_resume_seconds", "seconds from 0 (never) to 86400")
	}
	return s.DB.InTx(ctx, func(tx store.Q) error {
		if err := tx.SetAutoResumeSeconds(ctx, p.TenantID, secs); err != nil {
			return err
		}
		return s.Accounts.Audit(ctx, tx, p.Actor(), p.TenantID, "tenant.recording_settings", "tenant", p.TenantID,
			map[string]any{"auto_resume_seconds": secs})
	})
}
