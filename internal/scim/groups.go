package scim

import (
	"errors"
	"net/http"
	"slices"

	elim "github.com/elimity-com/scim"
	scimerr "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"

	"callrec/internal/account"
	"callrec/internal/store"
)

// groupHandler maps callrec groups. The tenant's default group is listed
// (every user is in it) but cannot be renamed, deleted or left.
type groupHandler struct{ s *Server }

func (h *groupHandler) view(r *http.Request, g store.Group) (elim.Resource, error) {
	c := callerOf(r)
	members, err := h.s.accounts.Members(r.Context(), c, g.ID)
	if err != nil {
		return elim.Resource{}, h.s.errFor(err, g.ID)
	}
	exts, err := h.s.accounts.ExternalIDs(r.Context(), c)
	if err != nil {
		return elim.Resource{}, h.s.errFor(err, g.ID)
	}
	return groupResource(g, members, exts[g.ID]), nil
}

func groupResource(g store.Group, members []store.User, ext string) elim.Resource {
	ms := []any{}
	for _, u := range members {
		ms = append(ms, map[string]any{"value": u.ID, "display": u.Name, "type": "User", "$ref": "../Users/" + u.ID})
	}
	created := g.CreatedAt.UTC()
	r := elim.Resource{ID: g.ID, Attributes: elim.ResourceAttributes{"displayName": g.Name, "members": ms},
		Meta: elim.Meta{Created: &created, LastModified: &created}}
	if ext != "" {
		r.ExternalID = optional.NewString(ext)
	}
	return r
}

func memberIDs(attrs map[string]any) []string {
	list, _ := attrs["members"].([]any)
	var ids []string
	for _, m := range list {
		if v, ok := valueOf(m).(string); ok && !slices.Contains(ids, v) {
			ids = append(ids, v)
		}
	}
	return ids
}

// Create adds a group with its members.
func (h *groupHandler) Create(r *http.Request, attrs elim.ResourceAttributes) (elim.Resource, error) {
	c := callerOf(r)
	name, _ := attrs["displayName"].(string)
	g, err := h.s.accounts.CreateGroup(r.Context(), c.Actor(), c.TenantID, account.GroupInput{Name: &name})
	if err != nil {
		return elim.Resource{}, h.s.errFor(err, "")
	}
	if ext, ok := attrs["externalId"].(string); ok {
		if err := h.s.accounts.SetGroupExternalID(r.Context(), c, g.ID, ext); err != nil {
			return elim.Resource{}, h.s.errFor(err, g.ID)
		}
	}
	if err := h.setMembers(r, g, nil, memberIDs(attrs)); err != nil {
		return elim.Resource{}, err
	}
	return h.view(r, g)
}

// Get returns one group of the token's tenant.
func (h *groupHandler) Get(r *http.Request, id string) (elim.Resource, error) {
	g, err := h.s.accounts.Group(r.Context(), callerOf(r), id)
	if err != nil {
		return elim.Resource{}, h.s.errFor(err, id)
	}
	return h.view(r, g)
}

// GetAll lists the tenant's groups that pass the filter.
func (h *groupHandler) GetAll(r *http.Request, p elim.ListRequestParams) (elim.Page, error) {
	gs, err := h.s.accounts.Groups(r.Context(), callerOf(r), "")
	if err != nil {
		return elim.Page{}, h.s.errFor(err, "")
	}
	match := matcher(p, []schema.Schema{schema.CoreGroupSchema()})
	var all []elim.Resource
	for _, g := range gs {
		res, err := h.view(r, g)
		if err != nil {
			return elim.Page{}, err
		}
		if match != nil && !match(filterable(res)) {
			continue
		}
		all = append(all, res)
	}
	return page(all, p), nil
}

// Replace renames the group and sets its members to exactly those sent.
func (h *groupHandler) Replace(r *http.Request, id string, attrs elim.ResourceAttributes) (elim.Resource, error) {
	return h.store(r, id, attrs)
}

// Delete removes the group; its members stay users.
func (h *groupHandler) Delete(r *http.Request, id string) error {
	c := callerOf(r)
	if err := h.s.accounts.DeleteGroup(r.Context(), c.Actor(), c.TenantID, id); err != nil {
		return h.s.errFor(err, id)
	}
	return nil
}

// Patch applies the operations (members add/remove, displayName replace)
// to the group as GET shows it and stores the result.
func (h *groupHandler) Patch(r *http.Request, id string, ops []elim.PatchOperation) (elim.Resource, error) {
	cur, err := h.Get(r, id)
	if err != nil {
		return elim.Resource{}, err
	}
	attrs := filterable(cur)
	if err := applyPatch(attrs, ops, schema.CoreGroupSchema()); err != nil {
		return elim.Resource{}, h.s.errFor(err, id)
	}
	return h.store(r, id, attrs)
}

func (h *groupHandler) store(r *http.Request, id string, attrs map[string]any) (elim.Resource, error) {
	c := callerOf(r)
	g, err := h.s.accounts.Group(r.Context(), c, id)
	if err != nil {
		return elim.Resource{}, h.s.errFor(err, id)
	}
	if name, ok := attrs["displayName"].(string); ok && name != g.Name {
		if g, err = h.s.accounts.UpdateGroup(r.Context(), c.Actor(), c.TenantID, id, account.GroupInput{Name: &name}); err != nil {
			return elim.Resource{}, h.s.errFor(err, id)
		}
	}
	if ext, ok := attrs["externalId"].(string); ok {
		if err := h.s.accounts.SetGroupExternalID(r.Context(), c, id, ext); err != nil {
			return elim.Resource{}, h.s.errFor(err, id)
		}
	}
	members, err := h.s.accounts.Members(r.Context(), c, id)
	if err != nil {
		return elim.Resource{}, h.s.errFor(err, id)
	}
	var have []string
	for _, u := range members {
		have = append(have, u.ID)
	}
	if err := h.setMembers(r, g, have, memberIDs(attrs)); err != nil {
		return elim.Resource{}, err
	}
	return h.view(r, g)
}

// maxMemberChanges bounds the membership changes one request may make,
// each being its own transaction.
const maxMemberChanges = 1000

// setMembers adds and removes members so that the group holds want. Each
// change is its own audited account call.
func (h *groupHandler) setMembers(r *http.Request, g store.Group, have, want []string) error {
	c := callerOf(r)
	changes := 0
	for _, id := range want {
		if !slices.Contains(have, id) {
			changes++
		}
	}
	for _, id := range have {
		if !slices.Contains(want, id) {
			changes++
		}
	}
	if changes > maxMemberChanges {
		return scimerr.ScimError{ScimType: scimerr.ScimTypeTooMany, Status: http.StatusBadRequest,
			Detail: "members: at most 1000 changes per request"}
	}
	for _, id := range want {
		if slices.Contains(have, id) {
			continue
		}
		if err := h.s.accounts.AddMember(r.Context(), c.Actor(), c.TenantID, g.ID, id); err != nil {
			if errors.Is(err, account.ErrNotFound) {
				return scimerr.ScimError{ScimType: scimerr.ScimTypeInvalidValue, Status: http.StatusBadRequest, Detail: "members: no user " + id + " in this tenant"}
			}
			return h.s.errFor(err, g.ID)
		}
	}
	for _, id := range have {
		if slices.Contains(want, id) {
			continue
		}
		if err := h.s.accounts.RemoveMember(r.Context(), c.Actor(), c.TenantID, g.ID, id); err != nil {
			return h.s.errFor(err, g.ID)
		}
	}
	return nil
}
