package store

import (
	"context"
	"fmt"
	"slices"
)

// LicensePool is one license type's purchased total and derived usage.
type LicensePool struct {
	Type  string `json:"type"`
	Total int    `json:"total"`
	Used  int    `json:"used"`
}

// LicensePools returns the tenant's pools in display order; used is counted
// from assignments, never stored.
func (q Q) LicensePools(ctx context.Context, tenantID string) ([]LicensePool, error) {
	rows, err := q.query(ctx, `SELECT p.license_type, p.total,
		(SELECT COUNT(*) FROM user_licenses u WHERE u.tenant_id = p.tenant_id AND u.license_type = p.license_type)
		FROM license_pools p WHERE p.tenant_id = ?`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("store: license pools: %w", err)
	}
	defer rows.Close()
	byType := map[string]LicensePool{}
	for rows.Next() {
		var p LicensePool
		if err := rows.Scan(&p.Type, &p.Total, &p.Used); err != nil {
			return nil, err
		}
		byType[p.Type] = p
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]LicensePool, 0, len(licenseTypes))
	for _, lt := range licenseTypes {
		p, ok := byType[lt]
		if !ok {
			p = LicensePool{Type: lt}
		}
		out = append(out, p)
	}
	return out, nil
}

// SetLicenseTotal sets how many licenses of a type the tenant purchased.
// It refuses a total below the number already assigned.
func (q Q) SetLicenseTotal(ctx context.Context, tenantID, licenseType string, total int) error {
	if err := q.lockPool(ctx, tenantID, licenseType); err != nil {
		return err
	}
	var used int
	if err := q.row(ctx, `SELECT COUNT(*) FROM user_licenses WHERE tenant_id = ? AND license_type = ?`, tenantID, licenseType).Scan(&used); err != nil {
		return fmt.Errorf("store: count licenses: %w", err)
	}
	if total < used {
		return fmt.Errorf("%w: %d %s licenses are assigned, the total cannot be %d", ErrConflict, used, licenseType, total)
	}
	return affectedOne(q.exec(ctx, `UPDATE license_pools SET total = ? WHERE tenant_id = ? AND license_type = ?`, total, tenantID, licenseType))
}

// lockPool takes the pool row's lock so that concurrent assignments
// serialise. SQLite transactions are IMMEDIATE, which already serialises
// writers; PostgreSQL needs the row lock.
func (q Q) lockPool(ctx context.Context, tenantID, licenseType string) error {
	query := `SELECT total FROM license_pools WHERE tenant_id = ? AND license_type = ?`
	if q.db.dialect == Postgres {
		query += ` FOR UPDATE`
	}
	var total int
	if err := q.row(ctx, query, tenantID, licenseType).Scan(&total); err != nil {
		return fmt.Errorf("store: lock license pool %s: %w", licenseType, mapErr(err))
	}
	return nil
}

// SetUserLicenses makes the user's licenses exactly want. Each newly added
// license is taken from the pool under its lock; an exhausted pool returns
// ErrLicenseExhausted and, inside the caller's transaction, nothing changes.
func (q Q) SetUserLicenses(ctx context.Context, tenantID, userID string, want []string) error {
	have, err := q.userStrings(ctx, `SELECT license_type FROM user_licenses WHERE tenant_id = ? AND user_id = ?`, tenantID, userID)
	if err != nil {
		return err
	}
	for _, lt := range have {
		if !slices.Contains(want, lt) {
			if _, err := q.exec(ctx, `DELETE FROM user_licenses WHERE tenant_id = ? AND user_id = ? AND license_type = ?`, tenantID, userID, lt); err != nil {
				return fmt.Errorf("store: remove license: %w", err)
			}
		}
	}
	for _, lt := range want {
		if slices.Contains(have, lt) {
			continue
		}
		if err := q.takeLicense(ctx, tenantID, userID, lt); err != nil {
			return err
		}
	}
	return nil
}

func (q Q) takeLicense(ctx context.Context, tenantID, userID, licenseType string) error {
	if err := q.lockPool(ctx, tenantID, licenseType); err != nil {
		return err
	}
	res, err := q.exec(ctx, `INSERT INTO user_licenses (tenant_id, user_id, license_type)
		SELECT ?, ?, ? WHERE (SELECT total FROM license_pools WHERE tenant_id = ? AND license_type = ?)
			> (SELECT COUNT(*) FROM user_licenses WHERE tenant_id = ? AND license_type = ?)`,
		tenantID, userID, licenseType, tenantID, licenseType, tenantID, licenseType)
	if err != nil {
		return fmt.Errorf("store: assign license: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: %s", ErrLicenseExhausted, licenseType)
	}
	return nil
}

func (q Q) userStrings(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
