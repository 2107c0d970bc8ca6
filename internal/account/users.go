package account

import (
	"context"
	"errors"
	"slices"

	"callrec/internal/roles"
	"callrec/internal/store"
	"callrec/internal/validate"
)

// CreateUser adds a user to the tenant (and to its default group). With an
// empty tenantID it creates a provider admin.
func (s *Service) CreateUser(ctx context.Context, a Actor, tenantID string, in UserInput) (store.User, error) {
	u, err := s.newUser(tenantID, &in)
	if err != nil {
		return u, err
	}
	err = s.db.InTx(ctx, func(tx store.Q) error { return s.insertUserTx(ctx, tx, a, tenantID, &u, in, "user.create") })
	if err != nil {
		return u, err
	}
	return s.GetUser(ctx, tenantID, u.ID)
}

// newUser is a user with the guide's defaults, validated and filled from in.
// Without an explicit web portal access, the role decides it.
func (s *Service) newUser(tenantID string, in *UserInput) (store.User, error) {
	now := s.stamp()
	u := store.User{ID: NewID(), TenantID: tenantID, Active: true, Role: roles.User, Record: "always", RecordInbound: true,
		RecordOutbound: true, AuthType: "password", SpeechAnalyticsType: "advanced", CreatedAt: now, UpdatedAt: now}
	if in.PortalAccess == nil && in.Role != nil {
		grants := roles.Has(*in.Role, roles.PortalAccess)
		in.PortalAccess = &grants
	}
	return u, in.apply(&u, tenantID == "")
}

// GetUser returns a user of the tenant (provider users with tenantID "").
func (s *Service) GetUser(ctx context.Context, tenantID, id string) (store.User, error) {
	if tenantID == "" {
		u, err := s.db.Q().GetUserByID(ctx, id)
		if err == nil && u.TenantID != "" {
			return store.User{}, ErrNotFound
		}
		return u, mapStore(err)
	}
	u, err := s.db.Q().GetUser(ctx, tenantID, id)
	return u, mapStore(err)
}

// UpdateUser patches a user of the tenant.
func (s *Service) UpdateUser(ctx context.Context, a Actor, tenantID, id string, in UserInput) (store.User, error) {
	if tenantID == "" {
		return store.User{}, ErrNotFound
	}
	err := s.db.InTx(ctx, func(tx store.Q) error {
		u, err := tx.GetUser(ctx, tenantID, id)
		if err != nil {
			return mapStore(err)
		}
		return s.updateUserTx(ctx, tx, a, u, in, "user.update", redacted(in))
	})
	if err != nil {
		return store.User{}, err
	}
	return s.GetUser(ctx, tenantID, id)
}

// insertUserTx stores a new user u (already filled by apply) with its
// relations and audits action, inside tx.
func (s *Service) insertUserTx(ctx context.Context, tx store.Q, a Actor, tenantID string, u *store.User, in UserInput, action string) error {
	if tenantID != "" {
		if _, err := tx.GetTenant(ctx, tenantID); err != nil {
			return mapStore(err)
		}
	}
	if err := tx.InsertUser(ctx, *u); err != nil {
		return userConflict(err)
	}
	if tenantID != "" {
		if err := s.writeRelations(ctx, tx, u, in, true); err != nil {
			return err
		}
	}
	return s.Audit(ctx, tx, a, tenantID, action, "user", u.ID, redacted(in))
}

// updateUserTx applies a patch to u inside tx and audits action with detail.
// Edit, Bulk Edit and import all change users through it.
func (s *Service) updateUserTx(ctx context.Context, tx store.Q, a Actor, u store.User, in UserInput, action string, detail any) error {
	if err := in.apply(&u, false); err != nil {
		return err
	}
	if in.Active != nil && !*in.Active && a.UserID == u.ID {
		return validate.Field("active", "you cannot deactivate yourself")
	}
	u.UpdatedAt = s.stamp()
	if err := tx.UpdateUserProfile(ctx, u); err != nil {
		return userConflict(err)
	}
	if in.Password != nil {
		if err := tx.SetPasswordHash(ctx, u.ID, u.PasswordHash); err != nil {
			return err
		}
	}
	if err := s.writeRelations(ctx, tx, &u, in, false); err != nil {
		return err
	}
	if !u.Active || in.Password != nil {
		if err := tx.DeleteUserSessions(ctx, u.ID); err != nil {
			return err
		}
	}
	return s.Audit(ctx, tx, a, u.TenantID, action, "user", u.ID, detail)
}

// writeRelations sets groups (always including the default group),
// managed groups, extensions and licenses from the input.
func (s *Service) writeRelations(ctx context.Context, tx store.Q, u *store.User, in UserInput, creating bool) error {
	if in.Groups != nil || creating {
		def, err := tx.DefaultGroup(ctx, u.TenantID)
		if err != nil {
			return err
		}
		var want []string
		if in.Groups != nil {
			want = slices.Clone(*in.Groups)
		}
		if !slices.Contains(want, def.ID) {
			want = append(want, def.ID)
		}
		if err := tx.SetUserGroups(ctx, u.TenantID, u.ID, dedupe(want)); err != nil {
			return relationErr("groups", err)
		}
	}
	if in.ManagedGroups != nil {
		if err := tx.SetManagedGroups(ctx, u.TenantID, u.ID, dedupe(*in.ManagedGroups)); err != nil {
			return relationErr("managed_groups", err)
		}
	}
	if in.Extensions != nil {
		if err := tx.SetUserExtensions(ctx, u.TenantID, u.ID, *in.Extensions); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return validate.Field("extensions", "an extension is already assigned to another user of this tenant")
			}
			return err
		}
	}
	if in.Licenses != nil {
		if err := tx.SetUserLicenses(ctx, u.TenantID, u.ID, dedupe(*in.Licenses)); err != nil {
			return mapStore(err)
		}
	}
	return nil
}

func relationErr(field string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return validate.Field(field, "names a group that does not exist in this tenant")
	}
	return err
}

// DeleteUser removes a user. Their recordings stay (they reference the user
// by id and keep the party names they were made with).
func (s *Service) DeleteUser(ctx context.Context, a Actor, tenantID, id string) error {
	if tenantID == "" {
		return ErrNotFound
	}
	if a.UserID == id {
		return validate.Field("id", "you cannot delete yourself")
	}
	return s.db.InTx(ctx, func(tx store.Q) error {
		u, err := tx.GetUser(ctx, tenantID, id)
		if err != nil {
			return mapStore(err)
		}
		if err := tx.DeleteUser(ctx, tenantID, id); err != nil {
			return mapStore(err)
		}
		if err := tx.InsertUserTombstone(ctx, tenantID, id, u.Login, s.stamp()); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, tenantID, "user.delete", "user", id, map[string]string{"name": u.Name, "login": u.Login})
	})
}

// ResetTwoFactor removes a user's TOTP enrolment and recovery codes so they
// enrol again at next sign-in.
func (s *Service) ResetTwoFactor(ctx context.Context, a Actor, tenantID, id string) error {
	return s.db.InTx(ctx, func(tx store.Q) error {
		if _, err := tx.GetUser(ctx, tenantID, id); err != nil {
			return mapStore(err)
		}
		if err := tx.SetTOTP(ctx, id, "", false); err != nil {
			return err
		}
		if err := tx.ReplaceRecoveryCodes(ctx, id, nil); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, tenantID, "user.reset_two_factor", "user", id, nil)
	})
}

func userConflict(err error) error {
	// The login index is the only unique key a user row can collide on.
	if errors.Is(err, store.ErrConflict) {
		return validate.Field("login", "already used by another user")
	}
	return err
}

// redacted copies the input for the audit log without secrets.
func redacted(in UserInput) UserInput {
	set := "(set)"
	if in.Password != nil {
		in.Password = &set
	}
	if in.PIN != nil {
		in.PIN = &set
	}
	return in
}

func dedupe(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// User returns a user of the tenant the caller acts in, for whoever
// manages its users; any other user is ErrNotFound.
func (s *Service) User(ctx context.Context, c *Caller, id string) (store.User, error) {
	tenantID, err := inTenant(c, roles.UsersManage)
	if err != nil {
		return store.User{}, err
	}
	u, err := s.db.Q().GetUser(ctx, tenantID, id)
	return u, mapStore(err)
}

// Users returns one page of the acting tenant's users matching f, and
// how many match in all.
func (s *Service) Users(ctx context.Context, c *Caller, f store.UserFilter) (users []store.User, next string, total int, err error) {
	tenantID, err := inTenant(c, roles.UsersManage)
	if err != nil {
		return nil, "", 0, err
	}
	q := s.db.Q()
	if users, next, err = q.ListUsers(ctx, tenantID, f); err != nil {
		return nil, "", 0, err
	}
	if total, err = q.CountUsers(ctx, tenantID, f); err != nil {
		return nil, "", 0, err
	}
	return users, next, total, nil
}
