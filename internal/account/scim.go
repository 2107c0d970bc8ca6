package account

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"callrec/internal/auth"
	"callrec/internal/roles"
	"callrec/internal/store"
	"callrec/internal/validate"
)

// ErrBadSCIMToken is an unknown or revoked SCIM bearer token.
var ErrBadSCIMToken = errors.New("account: unknown SCIM token")

// CreateSCIMToken issues a SCIM provisioning token for a tenant. Only the
// provider's admins issue them (the provider's own portal provisions its
// customers' users). The raw token is returned once; only its hash is kept.
func (s *Service) CreateSCIMToken(ctx context.Context, c *Caller, tenantID, name string) (string, store.SCIMToken, error) {
	if err := provider(c); err != nil {
		return "", store.SCIMToken{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > 100 {
		return "", store.SCIMToken{}, validate.Field("name", "required, at most 100 characters")
	}
	raw := auth.RandomToken("scim_")
	t := store.SCIMToken{ID: NewID(), TenantID: tenantID, Name: name, CreatedBy: c.User.Login, CreatedAt: s.stamp(), Hash: auth.HashToken(raw)}
	err := s.db.InTx(ctx, func(tx store.Q) error {
		if _, err := tx.GetTenant(ctx, tenantID); err != nil {
			return mapStore(err)
		}
		if err := tx.InsertSCIMToken(ctx, t); err != nil {
			return err
		}
		return s.Audit(ctx, tx, c.Actor(), tenantID, "scim_token.create", "scim_token", t.ID, map[string]string{"name": t.Name})
	})
	if err != nil {
		return "", store.SCIMToken{}, err
	}
	return raw, t, nil
}

// SCIMTokens lists a tenant's SCIM tokens, for the provider's admins.
func (s *Service) SCIMTokens(ctx context.Context, c *Caller, tenantID string) ([]store.SCIMToken, error) {
	if err := provider(c); err != nil {
		return nil, err
	}
	if _, err := s.db.Q().GetTenant(ctx, tenantID); err != nil {
		return nil, mapStore(err)
	}
	return s.db.Q().ListSCIMTokens(ctx, tenantID)
}

// RevokeSCIMToken deletes a tenant's SCIM token and audits it.
func (s *Service) RevokeSCIMToken(ctx context.Context, c *Caller, tenantID, id string) error {
	if err := provider(c); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx store.Q) error {
		t, err := tx.GetSCIMToken(ctx, tenantID, id)
		if err != nil {
			return mapStore(err)
		}
		if err := tx.DeleteSCIMToken(ctx, tenantID, id); err != nil {
			return mapStore(err)
		}
		return s.Audit(ctx, tx, c.Actor(), tenantID, "scim_token.delete", "scim_token", t.ID, map[string]string{"name": t.Name})
	})
}

// SCIMCaller resolves a raw SCIM bearer token to the caller it acts as: a
// tenant admin of the token's tenant, named "scim:<token name>" in the audit
// log. Every SCIM read and write then goes through the same scope and
// permission checks as the portal's.
func (s *Service) SCIMCaller(ctx context.Context, raw, ip string) (*Caller, error) {
	if raw == "" {
		return nil, ErrBadSCIMToken
	}
	t, err := s.db.Q().SCIMTokenByHash(ctx, auth.HashToken(raw))
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrBadSCIMToken
		}
		return nil, err
	}
	u := store.User{ID: "", TenantID: t.TenantID, Role: roles.Admin, Login: "scim:" + t.Name, Active: true}
	return &Caller{User: u, IP: ip, TenantID: t.TenantID}, nil
}

// ProvisionUser creates a user as a provisioning client asks, with its
// externalId, in one transaction with the audit entry.
func (s *Service) ProvisionUser(ctx context.Context, c *Caller, in UserInput, externalID string) (store.User, error) {
	tenantID, err := inTenant(c, roles.UsersManage)
	if err != nil {
		return store.User{}, err
	}
	u, err := s.newUser(tenantID, &in)
	if err != nil {
		return u, err
	}
	err = s.db.InTx(ctx, func(tx store.Q) error {
		if err := s.insertUserTx(ctx, tx, c.Actor(), tenantID, &u, in, "user.create"); err != nil {
			return err
		}
		return tx.SetExternalID(ctx, tenantID, u.ID, externalID)
	})
	if err != nil {
		return u, err
	}
	return s.GetUser(ctx, tenantID, u.ID)
}

// ReprovisionUser patches a user as a provisioning client asks; a non-nil
// externalID replaces the stored one.
func (s *Service) ReprovisionUser(ctx context.Context, c *Caller, id string, in UserInput, externalID *string) (store.User, error) {
	tenantID, err := inTenant(c, roles.UsersManage)
	if err != nil {
		return store.User{}, err
	}
	err = s.db.InTx(ctx, func(tx store.Q) error {
		u, err := tx.GetUser(ctx, tenantID, id)
		if err != nil {
			return mapStore(err)
		}
		if err := s.updateUserTx(ctx, tx, c.Actor(), u, in, "user.update", redacted(in)); err != nil {
			return err
		}
		if externalID != nil {
			return tx.SetExternalID(ctx, tenantID, id, *externalID)
		}
		return nil
	})
	if err != nil {
		return store.User{}, err
	}
	return s.GetUser(ctx, tenantID, id)
}

// SetGroupExternalID records the provisioning client's id for a group.
func (s *Service) SetGroupExternalID(ctx context.Context, c *Caller, groupID, externalID string) error {
	g, err := s.Group(ctx, c, groupID)
	if err != nil {
		return err
	}
	return s.db.Q().SetExternalID(ctx, g.TenantID, g.ID, externalID)
}

// ExternalIDs maps the acting tenant's user and group ids to the
// provisioning client's externalId.
func (s *Service) ExternalIDs(ctx context.Context, c *Caller) (map[string]string, error) {
	tenantID, err := inTenant(c, roles.UsersManage)
	if err != nil {
		return nil, err
	}
	return s.db.Q().ExternalIDs(ctx, tenantID)
}

// AllUsers returns every user of the acting tenant, for callers that
// filter in memory (SCIM). It reads page by page.
func (s *Service) AllUsers(ctx context.Context, c *Caller) ([]store.User, error) {
	var all []store.User
	f := store.UserFilter{Limit: 500}
	for {
		page, next, _, err := s.Users(ctx, c, f)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if next == "" {
			return all, nil
		}
		f.Cursor = next
	}
}

// ChangesSettle is how old a change must be before the changes feed
// reports it. A transaction stamps its rows before it commits, so a change
// stamped earlier than one already reported could still become visible;
// holding the feed back until every transaction of that time has committed
// lets the (time, id) cursor never skip one.
const ChangesSettle = 5 * time.Second

// UserChange is one entry of the changes feed: a user as it is now, or a
// tombstone when Deleted.
type UserChange struct {
	At       time.Time
	TenantID string
	ID       string
	Login    string
	Deleted  bool
	User     store.User
}

// UserChanges returns up to limit changes of the acting tenant's users
// after cursor ("" = from the start), oldest first, and the cursor to ask
// with next time. Deleted users come as tombstones.
func (s *Service) UserChanges(ctx context.Context, c *Caller, cursor string, limit int) ([]UserChange, string, error) {
	tenantID, err := inTenant(c, roles.UsersManage)
	if err != nil {
		return nil, "", err
	}
	q := s.db.Q()
	return s.changes(cursor, limit, func(at time.Time, id string, until time.Time) ([]store.User, []store.UserTombstone, error) {
		users, err := q.UsersChangedAfter(ctx, tenantID, at, id, until, limit)
		if err != nil {
			return nil, nil, err
		}
		gone, err := q.TombstonesAfter(ctx, tenantID, at, id, until, limit)
		return users, gone, err
	})
}

// LicenseHolderChanges is UserChanges over every tenant, for the provider's
// own systems (a daily poller with a provider admin's API token).
func (s *Service) LicenseHolderChanges(ctx context.Context, c *Caller, cursor string, limit int) ([]UserChange, string, error) {
	if err := provider(c); err != nil {
		return nil, "", err
	}
	q := s.db.Q()
	return s.changes(cursor, limit, func(at time.Time, id string, until time.Time) ([]store.User, []store.UserTombstone, error) {
		users, err := q.ProviderUsersChangedAfter(ctx, at, id, until, limit)
		if err != nil {
			return nil, nil, err
		}
		gone, err := q.ProviderTombstonesAfter(ctx, at, id, until, limit)
		return users, gone, err
	})
}

type changeReader func(at time.Time, id string, until time.Time) ([]store.User, []store.UserTombstone, error)

// changes reads one page of the feed after cursor: users and tombstones
// merged in (time, id) order, only those older than ChangesSettle.
func (s *Service) changes(cursor string, limit int, read changeReader) ([]UserChange, string, error) {
	var at time.Time
	var id string
	if cursor != "" {
		key, cid, ok := store.DecodeCursor(cursor)
		t, perr := time.Parse(time.RFC3339Nano, key)
		if !ok || perr != nil {
			return nil, "", validate.Field("since", "not a cursor this feed gave")
		}
		at, id = t, cid
	}
	users, gone, err := read(at, id, s.stamp().Add(-ChangesSettle))
	if err != nil {
		return nil, "", err
	}
	out := make([]UserChange, 0, len(users)+len(gone))
	for _, u := range users {
		out = append(out, UserChange{At: u.UpdatedAt.UTC(), TenantID: u.TenantID, ID: u.ID, Login: u.Login, User: u})
	}
	for _, g := range gone {
		out = append(out, UserChange{At: g.DeletedAt, TenantID: g.TenantID, ID: g.UserID, Login: g.Login, Deleted: true})
	}
	sortChanges(out)
	if len(out) > limit {
		out = out[:limit]
	}
	next := cursor
	if n := len(out); n > 0 {
		next = store.EncodeCursor(out[n-1].At.Format(time.RFC3339Nano), out[n-1].ID)
	}
	return out, next, nil
}

func sortChanges(cs []UserChange) {
	slices.SortFunc(cs, func(a, b UserChange) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}
