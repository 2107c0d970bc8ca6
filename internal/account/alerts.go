package account

import (
	"context"
	"fmt"

	"callrec/internal/roles"
	"callrec/internal/store"
)

// ResolveAlert closes an open alert of the tenant, audited in the same
// transaction; ErrNotFound when there is none.
func (s *Service) ResolveAlert(ctx context.Context, a Actor, tenantID, id string) error {
	err := s.db.InTx(ctx, func(tx store.Q) error {
		if err := tx.ResolveAlert(ctx, tenantID, id, s.stamp()); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, tenantID, "alert.resolve", "alert", id, nil)
	})
	if err != nil {
		return fmt.Errorf("account: resolve alert: %w", err)
	}
	return nil
}

// Alerts lists the acting tenant's open alerts, for whoever manages its users.
func (s *Service) Alerts(ctx context.Context, c *Caller) ([]store.Alert, error) {
	tenantID, err := inTenant(c, roles.UsersManage)
	if err != nil {
		return nil, err
	}
	return s.db.Q().OpenAlerts(ctx, tenantID)
}

// DismissAlert resolves an open alert of the acting tenant for whoever
// manages its users; another tenant's is ErrNotFound.
func (s *Service) DismissAlert(ctx context.Context, c *Caller, id string) error {
	tenantID, err := inTenant(c, roles.UsersManage)
	if err != nil {
		return err
	}
	return mapStore(s.ResolveAlert(ctx, c.Actor(), tenantID, id))
}

// ProviderAlerts lists the provider's own open alerts (a SIPREC source
// claimed by two customers); only the provider sees them.
func (s *Service) ProviderAlerts(ctx context.Context, c *Caller) ([]store.ProviderAlert, error) {
	if err := provider(c); err != nil {
		return nil, err
	}
	return s.db.Q().OpenProviderAlerts(ctx)
}

// ResolveProviderAlert closes one of the provider's alerts, audited in the
// provider's log in the same transaction; ErrNotFound when none is open.
func (s *Service) ResolveProviderAlert(ctx context.Context, c *Caller, id string) error {
	if err := provider(c); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx store.Q) error {
		if err := tx.ResolveProviderAlert(ctx, id, s.stamp()); err != nil {
			return mapStore(err)
		}
		return s.Audit(ctx, tx, c.Actor(), "", "provider_alert.resolve", "provider_alert", id, nil)
	})
}
