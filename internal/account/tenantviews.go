package account

import (
	"context"
	"fmt"

	"callrec/internal/roles"
	"callrec/internal/store"
)

// Tenant returns a tenant the caller may see: the one it acts in, or any
// tenant for the provider. Another tenant is ErrNotFound, as if it did
// not exist.
func (s *Service) Tenant(ctx context.Context, c *Caller, id string) (store.Tenant, error) {
	if c == nil || id == "" || (id != c.TenantID && provider(c) != nil) {
		return store.Tenant{}, ErrNotFound
	}
	t, err := s.db.Q().GetTenant(ctx, id)
	return t, mapStore(err)
}

// Tenants lists every tenant, for the provider's switcher and forms.
func (s *Service) Tenants(ctx context.Context, c *Caller) ([]store.Tenant, error) {
	if err := provider(c); err != nil {
		return nil, err
	}
	ts, err := s.db.Q().ListTenants(ctx)
	if err != nil {
		return nil, fmt.Errorf("account: tenants: %w", err)
	}
	return ts, nil
}

// TenantUsage is a tenant with its number of users and its license pools:
// one row of the provider's overview and tenant list.
type TenantUsage struct {
	Tenant store.Tenant
	Users  int
	Pools  []store.LicensePool
}

// TenantUsages lists every tenant with its users and pools, for the provider.
func (s *Service) TenantUsages(ctx context.Context, c *Caller) ([]TenantUsage, error) {
	ts, err := s.Tenants(ctx, c)
	if err != nil {
		return nil, err
	}
	q := s.db.Q()
	counts, err := q.UserCounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("account: user counts: %w", err)
	}
	out := make([]TenantUsage, 0, len(ts))
	for _, t := range ts {
		ps, err := q.LicensePools(ctx, t.ID)
		if err != nil {
			return nil, fmt.Errorf("account: pools of %s: %w", t.ID, err)
		}
		out = append(out, TenantUsage{Tenant: t, Users: counts[t.ID], Pools: ps})
	}
	return out, nil
}

// Pools returns a tenant's license pools: the acting tenant's for whoever
// manages its users or settings, any tenant's for the provider.
func (s *Service) Pools(ctx context.Context, c *Caller, tenantID string) ([]store.LicensePool, error) {
	if c == nil || tenantID == "" || (tenantID != c.TenantID && provider(c) != nil) {
		return nil, ErrNotFound
	}
	if !c.Can(roles.UsersManage) && !c.Can(roles.SettingsManage) {
		return nil, ErrForbidden
	}
	ps, err := s.db.Q().LicensePools(ctx, tenantID)
	if err != nil {
		return nil, fmt.Errorf("account: pools: %w", err)
	}
	return ps, nil
}
