// Package caller is who is asking: the identity every service method
// takes to decide scope, permission and audit. It holds no net/http, so a
// service cannot reach for the request; the portal and the API resolve a
// Caller from a session or a bearer token (package principal) and pass it
// down, and the worker and CLI act as callrec itself.
package caller

import (
	"callrec/internal/auth"
	"callrec/internal/roles"
	"callrec/internal/store"
)

// Actor is who makes a change, as the audit log names them.
type Actor struct {
	UserID string
	Login  string
	IP     string
}

// Caller is an authenticated caller.
type Caller struct {
	User    store.User
	Session *store.Session  // set for portal sessions
	Token   *store.APIToken // set for bearer tokens
	IP      string
	// TenantID is the tenant the request acts in: the user's own, or for a
	// provider admin the one picked by X-Tenant-ID or the tenant switcher.
	TenantID string
}

// Can reports whether the caller's role grants p.
func (c *Caller) Can(perm roles.Permission) bool { return roles.Has(c.User.Role, perm) }

// IsProvider reports whether the caller is a provider admin.
func (c *Caller) IsProvider() bool {
	return c.User.Role == roles.ProviderAdmin && c.User.TenantID == ""
}

// Actor is the caller as the audit log names it.
func (c *Caller) Actor() Actor {
	return Actor{UserID: c.User.ID, Login: c.User.Login, IP: c.IP}
}

// FullyAuthenticated is false while a session still owes a second factor,
// enrolment or terms acceptance.
func (c *Caller) FullyAuthenticated() bool {
	return c.Session == nil || c.Session.Stage == auth.StageOK
}
