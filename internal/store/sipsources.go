package store

import (
	"context"
	"fmt"
	"time"
)

// SIPSource is a SIPREC client (an SBC or the Teams media edge) registered
// by a tenant: INVITEs from Address (an IP or CIDR), and when Domain is set
// only those whose request-URI host or user equals it, belong to the tenant.
type SIPSource struct {
	ID       string `json:"id"`
	TenantID string `json:"tenant_id"`
	Name     string `json:"name"`
	Address  string `json:"address"`
	Domain   string `json:"domain"`
	// Unmatched is what a call whose parties match no user becomes:
	// UnmatchedRecord (recorded, Unassigned) or UnmatchedMetadata.
	Unmatched string    `json:"unmatched"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// The rules for calls whose parties match no user's extension.
const (
	UnmatchedRecord   = "record"   // record into the Unassigned bucket
	UnmatchedMetadata = "metadata" // keep the call's row, no audio
)

const sipSourceCols = `id, tenant_id, name, address, domain, unmatched, created_at, updated_at`

func scanSIPSource(s interface{ Scan(...any) error }) (SIPSource, error) {
	var x SIPSource
	err := s.Scan(&x.ID, &x.TenantID, &x.Name, &x.Address, &x.Domain, &x.Unmatched, &x.CreatedAt, &x.UpdatedAt)
	return x, mapErr(err)
}

// InsertSIPSource stores a new source.
func (q Q) InsertSIPSource(ctx context.Context, s SIPSource) error {
	if s.Unmatched == "" {
		s.Unmatched = UnmatchedRecord
	}
	_, err := q.exec(ctx, `INSERT INTO sip_sources (`+sipSourceCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.TenantID, s.Name, s.Address, s.Domain, s.Unmatched, s.CreatedAt, s.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store: insert sip source: %w", err)
	}
	return nil
}

// UpdateSIPSource writes a source's editable fields.
func (q Q) UpdateSIPSource(ctx context.Context, s SIPSource) error {
	err := affectedOne(q.exec(ctx, `UPDATE sip_sources SET name = ?, address = ?, domain = ?, unmatched = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
		s.Name, s.Address, s.Domain, s.Unmatched, s.UpdatedAt, s.TenantID, s.ID))
	if err != nil {
		return fmt.Errorf("store: update sip source: %w", err)
	}
	return nil
}

// GetSIPSource returns one source of the tenant.
func (q Q) GetSIPSource(ctx context.Context, tenantID, id string) (SIPSource, error) {
	s, err := scanSIPSource(q.row(ctx, `SELECT `+sipSourceCols+` FROM sip_sources WHERE tenant_id = ? AND id = ?`, tenantID, id))
	if err != nil {
		return s, fmt.Errorf("store: get sip source: %w", err)
	}
	return s, nil
}

// DeleteSIPSource removes a source of the tenant.
func (q Q) DeleteSIPSource(ctx context.Context, tenantID, id string) error {
	if err := affectedOne(q.exec(ctx, `DELETE FROM sip_sources WHERE tenant_id = ? AND id = ?`, tenantID, id)); err != nil {
		return fmt.Errorf("store: delete sip source: %w", err)
	}
	return nil
}

// ListSIPSources lists the tenant's sources by name.
func (q Q) ListSIPSources(ctx context.Context, tenantID string) ([]SIPSource, error) {
	return q.sipSources(ctx, `SELECT `+sipSourceCols+` FROM sip_sources WHERE tenant_id = ? ORDER BY lower(name), id`, tenantID)
}

// AllSIPSources lists every tenant's sources. It is not scoped to a
// tenant because it is how the recorder finds the tenant an INVITE belongs
// to.
func (q Q) AllSIPSources(ctx context.Context) ([]SIPSource, error) {
	return q.sipSources(ctx, `SELECT `+sipSourceCols+` FROM sip_sources ORDER BY created_at, id`)
}

// SIPSourcesOutsideTenant lists the sources of every tenant but tenantID,
// for the check that a tenant's address space overlaps no other tenant's.
// Its rows must never reach the tenant: the check only says "overlaps".
func (q Q) SIPSourcesOutsideTenant(ctx context.Context, tenantID string) ([]SIPSource, error) {
	return q.sipSources(ctx, `SELECT `+sipSourceCols+` FROM sip_sources WHERE tenant_id <> ? ORDER BY created_at, id`, tenantID)
}

// LockSIPSources makes the calling transaction the only one changing SIPREC
// sources until it ends, so that two tenants registering overlapping
// addresses at once cannot both pass the overlap check. SQLite transactions
// are IMMEDIATE, which already serialises writers; on PostgreSQL a SHARE ROW
// EXCLUSIVE table lock conflicts with itself and with every INSERT, UPDATE
// and DELETE of the table but not with reads (the recorder's). Unlike an
// advisory lock it belongs to this schema's table alone. Call it inside
// DB.InTx, before reading the sources the check compares.
func (q Q) LockSIPSources(ctx context.Context) error {
	if q.db.dialect != Postgres {
		return nil
	}
	if _, err := q.exec(ctx, `LOCK TABLE sip_sources IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		return fmt.Errorf("store: lock sip sources: %w", err)
	}
	return nil
}

// ProviderSIPSource is a source with its tenant's name, for the provider.
type ProviderSIPSource struct {
	SIPSource
	TenantName string `json:"tenant_name"`
}

// ProviderSIPSources lists every tenant's sources with the tenant's name,
// by tenant then source name: the provider admin's view across tenants.
func (q Q) ProviderSIPSources(ctx context.Context) ([]ProviderSIPSource, error) {
	rows, err := q.query(ctx, `SELECT s.id, s.tenant_id, s.name, s.address, s.domain, s.unmatched, s.created_at, s.updated_at, t.name
		FROM sip_sources s JOIN tenants t ON t.id = s.tenant_id ORDER BY lower(t.name), t.id, lower(s.name), s.id`)
	if err != nil {
		return nil, fmt.Errorf("store: provider sip sources: %w", err)
	}
	defer rows.Close()
	out := []ProviderSIPSource{}
	for rows.Next() {
		var x ProviderSIPSource
		if err := rows.Scan(&x.ID, &x.TenantID, &x.Name, &x.Address, &x.Domain, &x.Unmatched, &x.CreatedAt, &x.UpdatedAt, &x.TenantName); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

func (q Q) sipSources(ctx context.Context, query string, args ...any) ([]SIPSource, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list sip sources: %w", err)
	}
	defer rows.Close()
	out := []SIPSource{}
	for rows.Next() {
		s, err := scanSIPSource(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
