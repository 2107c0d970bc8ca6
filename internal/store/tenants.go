package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// LicenseTypes are the five license types, in the guide's order.
var licenseTypes = []string{"call_recording", "screen_recording", "live_monitoring", "agent_evaluation", "speech_analytics"}

// LicenseTypes returns the license types in display order.
func LicenseTypes() []string { return append([]string(nil), licenseTypes...) }

// Tenant is a customer organisation of the provider.
type Tenant struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	AccountNumber string `json:"account_number"`
	Timezone      string `json:"timezone"`
	Language      string `json:"language"`
	RetentionDays int    `json:"retention_days"`
	// DefaultRecord is the rule of users whose Record setting is
	// "default": always, on_demand or never.
	DefaultRecord string `json:"default_record"`
	// MaxCalls is how many of the tenant's calls one recorder node records
	// at once (0: no limit but the node's); set by the provider.
	MaxCalls     int       `json:"max_calls"`
	Enforce2FA   bool      `json:"enforce_two_factor"`
	TermsVersion int       `json:"terms_version"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Provider is the service provider running the installation.
type Provider struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	TermsVersion int    `json:"terms_version"`
}

const tenantCols = `id, name, COALESCE(account_number, ''), timezone, language, retention_days, default_record, max_calls, enforce_2fa, terms_version, created_at, updated_at`

func scanTenant(s interface{ Scan(...any) error }) (Tenant, error) {
	var t Tenant
	err := s.Scan(&t.ID, &t.Name, &t.AccountNumber, &t.Timezone, &t.Language, &t.RetentionDays, &t.DefaultRecord, &t.MaxCalls, &t.Enforce2FA, &t.TermsVersion, &t.CreatedAt, &t.UpdatedAt)
	return t, mapErr(err)
}

// EnsureProvider creates the provider row on first use and returns it.
func (q Q) EnsureProvider(ctx context.Context, name string) (Provider, error) {
	if _, err := q.exec(ctx, `INSERT INTO provider (id, name, terms_version) VALUES ('provider', ?, 1) ON CONFLICT (id) DO NOTHING`, name); err != nil {
		return Provider{}, fmt.Errorf("store: ensure provider: %w", err)
	}
	return q.GetProvider(ctx)
}

// GetProvider returns the provider row.
func (q Q) GetProvider(ctx context.Context) (Provider, error) {
	var p Provider
	err := q.row(ctx, `SELECT id, name, terms_version FROM provider WHERE id = 'provider'`).Scan(&p.ID, &p.Name, &p.TermsVersion)
	if err != nil {
		return p, fmt.Errorf("store: get provider: %w", mapErr(err))
	}
	return p, nil
}

// SetProviderTerms sets the provider-level terms version (provider admins).
func (q Q) SetProviderTerms(ctx context.Context, version int) error {
	return affectedOne(q.exec(ctx, `UPDATE provider SET terms_version = ? WHERE id = 'provider'`, version))
}

// InsertTenant stores a new tenant and its empty license pools.
func (q Q) InsertTenant(ctx context.Context, t Tenant) error {
	if t.DefaultRecord == "" {
		t.DefaultRecord = "always"
	}
	_, err := q.exec(ctx, `INSERT INTO tenants (id, name, account_number, timezone, language, retention_days, default_record, max_calls, enforce_2fa, terms_version, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.Name, nullable(t.AccountNumber), t.Timezone, t.Language, t.RetentionDays, t.DefaultRecord, t.MaxCalls, t.Enforce2FA, t.TermsVersion, t.CreatedAt, t.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store: insert tenant: %w", err)
	}
	for _, lt := range licenseTypes {
		if _, err := q.exec(ctx, `INSERT INTO license_pools (tenant_id, license_type, total) VALUES (?, ?, 0)`, t.ID, lt); err != nil {
			return fmt.Errorf("store: insert license pool: %w", err)
		}
	}
	return nil
}

// UpdateTenant writes every editable field of the tenant.
func (q Q) UpdateTenant(ctx context.Context, t Tenant) error {
	err := affectedOne(q.exec(ctx, `UPDATE tenants SET name = ?, account_number = ?, timezone = ?, language = ?, retention_days = ?,
		default_record = ?, max_calls = ?, enforce_2fa = ?, terms_version = ?, updated_at = ? WHERE id = ?`,
		t.Name, nullable(t.AccountNumber), t.Timezone, t.Language, t.RetentionDays, t.DefaultRecord, t.MaxCalls, t.Enforce2FA, t.TermsVersion, t.UpdatedAt, t.ID))
	if err != nil {
		return fmt.Errorf("store: update tenant: %w", err)
	}
	return nil
}

// GetTenant returns one tenant.
func (q Q) GetTenant(ctx context.Context, id string) (Tenant, error) {
	t, err := scanTenant(q.row(ctx, `SELECT `+tenantCols+` FROM tenants WHERE id = ?`, id))
	if err != nil {
		return t, fmt.Errorf("store: get tenant: %w", err)
	}
	return t, nil
}

// FindTenant looks a tenant up by id or by case-insensitive name.
func (q Q) FindTenant(ctx context.Context, idOrName string) (Tenant, error) {
	t, err := scanTenant(q.row(ctx, `SELECT `+tenantCols+` FROM tenants WHERE id = ? OR lower(name) = lower(?)`, idOrName, idOrName))
	if err != nil {
		return t, fmt.Errorf("store: find tenant: %w", err)
	}
	return t, nil
}

// ListTenants returns every tenant by name (provider view).
func (q Q) ListTenants(ctx context.Context) ([]Tenant, error) {
	rows, err := q.query(ctx, `SELECT `+tenantCols+` FROM tenants ORDER BY lower(name), id`)
	if err != nil {
		return nil, fmt.Errorf("store: list tenants: %w", err)
	}
	defer rows.Close()
	var out []Tenant
	for rows.Next() {
		t, err := scanTenant(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func nullable(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}
