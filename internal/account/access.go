package account

import (
	"errors"

	"callrec/internal/caller"
	"callrec/internal/roles"
)

// ErrNoTenant refuses a tenant's data to a provider admin who has not
// picked a tenant to act in.
var ErrNoTenant = errors.New("account: pick a tenant to act in first")

// Caller is who asks: the portal and the API pass the identity they
// resolved, and the methods that take one decide scope and permission.
type Caller = caller.Caller

// inTenant returns the tenant c acts in, if c holds perm there. Every
// tenant read that takes a Caller starts here, so the permission and the
// tenant filter are decided in one place.
func inTenant(c *Caller, perm roles.Permission) (string, error) {
	if c == nil || !c.Can(perm) {
		return "", ErrForbidden
	}
	if c.TenantID == "" {
		return "", ErrNoTenant
	}
	return c.TenantID, nil
}

// provider refuses anyone but the provider's own admins, in any view.
func provider(c *Caller) error {
	if c == nil || !c.IsProvider() || !c.Can(roles.TenantsManage) {
		return ErrForbidden
	}
	return nil
}
