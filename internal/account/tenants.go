package account

import (
	"context"
	"errors"
	"slices"
	"strings"

	"callrec/internal/policy"
	"callrec/internal/store"
	"callrec/internal/validate"
)

// DefaultGroupName names the group every tenant starts with.
const DefaultGroupName = "Users"

// maxTenantCalls bounds a tenant's max_calls: a recorder node is sized
// for thousands of calls, not millions.
const maxTenantCalls = 100_000

// TenantInput creates or patches a tenant; nil fields are left alone.
type TenantInput struct {
	Name          *string        `json:"name"`
	AccountNumber *string        `json:"account_number"`
	Timezone      *string        `json:"timezone"`
	Language      *string        `json:"language"`
	RetentionDays *int           `json:"retention_days"`
	DefaultRecord *string        `json:"default_record"`
	MaxCalls      *int           `json:"max_calls"`
	Enforce2FA    *bool          `json:"enforce_two_factor"`
	TermsVersion  *int           `json:"terms_version"`
	Licenses      map[string]int `json:"licenses"`
}

func (in TenantInput) apply(t *store.Tenant) error {
	errs := validate.Errors{}
	if in.Name != nil {
		t.Name = strings.TrimSpace(*in.Name)
	}
	if !validate.Name(t.Name) {
		errs.Add("name", "required, at most 200 characters")
	}
	if in.AccountNumber != nil {
		t.AccountNumber = strings.TrimSpace(*in.AccountNumber)
	}
	if t.AccountNumber != "" && !validate.AccountNumber(t.AccountNumber) {
		errs.Add("account_number", "4–20 digits, like 3100008477")
	}
	if in.Timezone != nil {
		t.Timezone = *in.Timezone
	}
	if t.Timezone == "" || !validate.Timezone(t.Timezone) {
		errs.Add("timezone", "an IANA timezone such as America/New_York")
	}
	if in.Language != nil {
		t.Language = *in.Language
	}
	if t.Language == "" || !validate.Language(t.Language) {
		errs.Addf("language", "one of %s", strings.Join(validate.Languages(), ", "))
	}
	if in.RetentionDays != nil {
		t.RetentionDays = *in.RetentionDays
	}
	if t.RetentionDays < 1 || t.RetentionDays > 3650 {
		errs.Add("retention_days", "between 1 and 3650 days")
	}
	if in.DefaultRecord != nil {
		t.DefaultRecord = *in.DefaultRecord
	}
	if !slices.Contains(policy.TenantRules, t.DefaultRecord) {
		errs.Addf("default_record", "one of %s", strings.Join(policy.TenantRules, ", "))
	}
	if in.MaxCalls != nil {
		t.MaxCalls = *in.MaxCalls
	}
	if t.MaxCalls < 0 || t.MaxCalls > maxTenantCalls {
		errs.Addf("max_calls", "between 0 (no limit) and %d calls at once", maxTenantCalls)
	}
	if in.Enforce2FA != nil {
		t.Enforce2FA = *in.Enforce2FA
	}
	if in.TermsVersion != nil {
		if *in.TermsVersion < t.TermsVersion || *in.TermsVersion < 1 {
			errs.Add("terms_version", "can only move forward")
		}
		t.TermsVersion = *in.TermsVersion
	}
	for lt, n := range in.Licenses {
		if !isLicenseType(lt) {
			errs.Add("licenses."+lt, "unknown license type")
		} else if n < 0 || n > 1_000_000 {
			errs.Add("licenses."+lt, "between 0 and 1000000")
		}
	}
	return errs.Err()
}

func isLicenseType(lt string) bool {
	for _, x := range store.LicenseTypes() {
		if x == lt {
			return true
		}
	}
	return false
}

// CreateTenant makes a tenant with its default group and license pools.
func (s *Service) CreateTenant(ctx context.Context, a Actor, in TenantInput) (store.Tenant, error) {
	now := s.stamp()
	t := store.Tenant{ID: NewID(), Timezone: "UTC", Language: "en", RetentionDays: 90, DefaultRecord: policy.RuleAlways, TermsVersion: 1, CreatedAt: now, UpdatedAt: now}
	if err := in.apply(&t); err != nil {
		return t, err
	}
	err := s.db.InTx(ctx, func(tx store.Q) error {
		if err := tx.InsertTenant(ctx, t); err != nil {
			return tenantConflict(err)
		}
		g := store.Group{ID: NewID(), TenantID: t.ID, Name: DefaultGroupName, IsDefault: true, CreatedAt: now}
		if err := tx.InsertGroup(ctx, g); err != nil {
			return err
		}
		if err := setPools(ctx, tx, t.ID, in.Licenses); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, t.ID, "tenant.create", "tenant", t.ID, in)
	})
	return t, err
}

// UpdateTenant patches a tenant. Only the provider may change retention,
// account number, terms version, license pools and the calls the tenant
// may record at once; callers pass asProvider accordingly.
func (s *Service) UpdateTenant(ctx context.Context, a Actor, id string, in TenantInput, asProvider bool) (store.Tenant, error) {
	if !asProvider {
		errs := validate.Errors{}
		if in.RetentionDays != nil {
			errs.Add("retention_days", "set by the service provider (storage package)")
		}
		if in.AccountNumber != nil {
			errs.Add("account_number", "set by the service provider")
		}
		if in.Licenses != nil {
			errs.Add("licenses", "purchased through the service provider")
		}
		if in.TermsVersion != nil {
			errs.Add("terms_version", "set by the service provider")
		}
		if in.MaxCalls != nil {
			errs.Add("max_calls", "set by the service provider")
		}
		if err := errs.Err(); err != nil {
			return store.Tenant{}, err
		}
	}
	var t store.Tenant
	err := s.db.InTx(ctx, func(tx store.Q) error {
		var err error
		if t, err = tx.GetTenant(ctx, id); err != nil {
			return mapStore(err)
		}
		if err := in.apply(&t); err != nil {
			return err
		}
		t.UpdatedAt = s.stamp()
		if err := tx.UpdateTenant(ctx, t); err != nil {
			return tenantConflict(err)
		}
		if err := setPools(ctx, tx, t.ID, in.Licenses); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, t.ID, "tenant.update", "tenant", t.ID, in)
	})
	return t, err
}

func setPools(ctx context.Context, tx store.Q, tenantID string, pools map[string]int) error {
	for lt, n := range pools {
		if err := tx.SetLicenseTotal(ctx, tenantID, lt, n); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return validate.Field("licenses."+lt, "fewer than the licenses already assigned")
			}
			return err
		}
	}
	return nil
}

func tenantConflict(err error) error {
	if errors.Is(err, store.ErrConflict) {
		if strings.Contains(err.Error(), "account_number") {
			return validate.Field("account_number", "already used by another tenant")
		}
		return validate.Field("name", "a tenant with this name already exists")
	}
	return err
}
