package account

import (
	"context"
	"fmt"

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
