package account

import (
	"context"
	"errors"
	"strings"

	"callrec/internal/roles"
	"callrec/internal/store"
	"callrec/internal/validate"
)

// GroupInput creates or patches a group.
type GroupInput struct {
	Name     *string `json:"name"`
	Timezone *string `json:"timezone"`
}

func (in GroupInput) apply(g *store.Group) error {
	errs := validate.Errors{}
	if in.Name != nil {
		g.Name = strings.TrimSpace(*in.Name)
	}
	if !validate.Name(g.Name) {
		errs.Add("name", "required, at most 200 characters")
	}
	if in.Timezone != nil {
		g.Timezone = strings.TrimSpace(*in.Timezone)
	}
	if !validate.Timezone(g.Timezone) {
		errs.Add("timezone", "an IANA timezone, or empty to use the default")
	}
	return errs.Err()
}

// CreateGroup adds a group to the tenant; names are unique per tenant.
func (s *Service) CreateGroup(ctx context.Context, a Actor, tenantID string, in GroupInput) (store.Group, error) {
	g := store.Group{ID: NewID(), TenantID: tenantID, CreatedAt: s.stamp()}
	if err := in.apply(&g); err != nil {
		return g, err
	}
	err := s.db.InTx(ctx, func(tx store.Q) error {
		if err := tx.InsertGroup(ctx, g); err != nil {
			return groupConflict(err)
		}
		return s.Audit(ctx, tx, a, tenantID, "group.create", "group", g.ID, in)
	})
	return g, err
}

// UpdateGroup renames a group or changes its timezone; the default group refuses.
func (s *Service) UpdateGroup(ctx context.Context, a Actor, tenantID, id string, in GroupInput) (store.Group, error) {
	var g store.Group
	err := s.db.InTx(ctx, func(tx store.Q) error {
		var err error
		if g, err = tx.GetGroup(ctx, tenantID, id); err != nil {
			return mapStore(err)
		}
		if g.IsDefault {
			return ErrDefaultGroupFixed
		}
		if err := in.apply(&g); err != nil {
			return err
		}
		if err := tx.UpdateGroup(ctx, g); err != nil {
			return groupConflict(mapStore(err))
		}
		return s.Audit(ctx, tx, a, tenantID, "group.update", "group", id, in)
	})
	return g, err
}

// DeleteGroup removes a group; its members stay users. The default group refuses.
func (s *Service) DeleteGroup(ctx context.Context, a Actor, tenantID, id string) error {
	return s.db.InTx(ctx, func(tx store.Q) error {
		g, err := tx.GetGroup(ctx, tenantID, id)
		if err != nil {
			return mapStore(err)
		}
		if err := tx.DeleteGroup(ctx, tenantID, id); err != nil {
			return mapStore(err)
		}
		return s.Audit(ctx, tx, a, tenantID, "group.delete", "group", id, map[string]string{"name": g.Name})
	})
}

// AddMember puts a user of the tenant into a group of the tenant.
func (s *Service) AddMember(ctx context.Context, a Actor, tenantID, groupID, userID string) error {
	return s.db.InTx(ctx, func(tx store.Q) error {
		if err := tx.AddGroupMember(ctx, tenantID, groupID, userID); err != nil {
			return mapStore(err)
		}
		return s.Audit(ctx, tx, a, tenantID, "group.add_member", "group", groupID, map[string]string{"user_id": userID})
	})
}

// RemoveMember takes a user out of a group; never out of the default group.
func (s *Service) RemoveMember(ctx context.Context, a Actor, tenantID, groupID, userID string) error {
	return s.db.InTx(ctx, func(tx store.Q) error {
		if err := tx.RemoveGroupMember(ctx, tenantID, groupID, userID); err != nil {
			return mapStore(err)
		}
		return s.Audit(ctx, tx, a, tenantID, "group.remove_member", "group", groupID, map[string]string{"user_id": userID})
	})
}

func groupConflict(err error) error {
	if errors.Is(err, store.ErrConflict) {
		return validate.Field("name", "a group with this name already exists in the tenant")
	}
	return err
}

// Groups lists the acting tenant's groups whose name contains search.
func (s *Service) Groups(ctx context.Context, c *Caller, search string) ([]store.Group, error) {
	tenantID, err := inTenant(c, roles.UsersManage)
	if err != nil {
		return nil, err
	}
	return s.db.Q().ListGroups(ctx, tenantID, search)
}

// Group returns a group of the acting tenant; any other is ErrNotFound.
func (s *Service) Group(ctx context.Context, c *Caller, id string) (store.Group, error) {
	tenantID, err := inTenant(c, roles.UsersManage)
	if err != nil {
		return store.Group{}, err
	}
	g, err := s.db.Q().GetGroup(ctx, tenantID, id)
	return g, mapStore(err)
}

// Members lists the members of a group of the acting tenant.
func (s *Service) Members(ctx context.Context, c *Caller, groupID string) ([]store.User, error) {
	g, err := s.Group(ctx, c, groupID)
	if err != nil {
		return nil, err
	}
	return s.db.Q().GroupMembers(ctx, g.TenantID, g.ID)
}
