package ui

import (
	"errors"
	"net/http"
	"strconv"

	"callrec/internal/account"
	"callrec/internal/principal"
	"callrec/internal/store"
)

// groupsView is the Groups list.
type groupsView struct {
	Groups []store.Group
	Search string
}

func (h *Handler) groupsPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	v := groupsView{Search: r.URL.Query().Get("search")}
	var err error
	if v.Groups, err = h.Accounts.Groups(r.Context(), p, v.Search); err != nil {
		return serviceErr(err)
	}
	h.adminView(w, r, http.StatusOK, "groups", "Groups", "groups", v, "")
	return nil
}

// groupPage is the Add or Edit group form.
type groupPage struct {
	Group     *store.Group
	Name      string
	Timezone  string
	TenantID  string
	Tenants   []store.Tenant // the provider admin picks the tenant
	Timezones []string
	Errors    map[string]string
}

func (h *Handler) showGroup(w http.ResponseWriter, r *http.Request, p *principal.Principal, status int, v groupPage) error {
	v.Timezones = timezoneOptions(v.Timezone)
	ts, err := h.Accounts.Tenants(r.Context(), p)
	if err != nil && !shownOnlyTo(err) {
		return err
	}
	v.Tenants = ts
	title, msg := "Add group", ""
	if v.Group != nil {
		title = "Edit group " + v.Group.Name
	}
	if len(v.Errors) > 0 {
		msg = "The group was not saved; see the messages below the fields."
	}
	h.adminView(w, r, status, "group", title, "groups", v, msg)
	return nil
}

func (h *Handler) newGroupPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	return h.showGroup(w, r, p, http.StatusOK, groupPage{TenantID: p.TenantID})
}

func (h *Handler) createGroup(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	tenantID := p.TenantID
	v := groupPage{Name: r.PostForm.Get("name"), Timezone: r.PostForm.Get("timezone"), TenantID: tenantID}
	if pick := r.PostForm.Get("tenant_id"); pick != "" && pick != tenantID {
		if _, err := h.Accounts.Tenant(r.Context(), p, pick); err != nil {
			return h.showGroup(w, r, p, http.StatusBadRequest, groupPage{Name: v.Name, Timezone: v.Timezone, TenantID: tenantID,
				Errors: map[string]string{"tenant_id": "no such tenant"}})
		}
		v.TenantID = pick
	}
	g, err := h.Accounts.CreateGroup(r.Context(), p.Actor(), v.TenantID, account.GroupInput{Name: &v.Name, Timezone: &v.Timezone})
	if fields, ok := formErrors(err); ok {
		v.Errors = fields
		return h.showGroup(w, r, p, http.StatusBadRequest, v)
	}
	if err != nil {
		return err
	}
	if v.TenantID != tenantID {
		h.redirectFlash(w, r, "/admin/groups", "group_created")
		return nil
	}
	h.redirectFlash(w, r, "/admin/groups/"+g.ID, "group_created")
	return nil
}

// errDefaultGroup explains why the default group cannot be changed.
var errDefaultGroup = &pageError{Status: http.StatusConflict, Title: "The default group cannot be changed",
	Message: "Every user is a member of the default group and must stay one: Teams call recording depends on it. It cannot be renamed, edited or deleted, and its members cannot be removed.",
	Href:    "/admin/groups", Action: "Back to Groups"}

// loadGroup finds a group of the acting tenant; editable refuses the default group.
func (h *Handler) loadGroup(r *http.Request, p *principal.Principal, editable bool) (store.Group, error) {
	g, err := h.Accounts.Group(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return g, serviceErr(err)
	}
	if editable && g.IsDefault {
		return g, errDefaultGroup
	}
	return g, nil
}

func (h *Handler) editGroupPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	g, err := h.loadGroup(r, p, true)
	if err != nil {
		return err
	}
	return h.showGroup(w, r, p, http.StatusOK, groupPage{Group: &g, Name: g.Name, Timezone: g.Timezone, TenantID: g.TenantID})
}

func (h *Handler) updateGroup(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	g, err := h.loadGroup(r, p, true)
	if err != nil {
		return err
	}
	v := groupPage{Group: &g, Name: r.PostForm.Get("name"), Timezone: r.PostForm.Get("timezone"), TenantID: g.TenantID}
	_, err = h.Accounts.UpdateGroup(r.Context(), p.Actor(), g.TenantID, g.ID, account.GroupInput{Name: &v.Name, Timezone: &v.Timezone})
	if fields, ok := formErrors(err); ok {
		v.Errors = fields
		return h.showGroup(w, r, p, http.StatusBadRequest, v)
	}
	if errors.Is(err, account.ErrDefaultGroupFixed) {
		return errDefaultGroup
	}
	if err != nil {
		return err
	}
	h.redirectFlash(w, r, "/admin/groups/"+g.ID, "group_saved")
	return nil
}

func (h *Handler) deleteGroupPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	g, err := h.loadGroup(r, p, true)
	if err != nil {
		return err
	}
	h.adminView(w, r, http.StatusOK, "confirm", "Delete "+g.Name, "groups", confirmView{
		Heading: "Delete group " + g.Name + "?", Action: "/admin/groups/" + g.ID + "/delete", Button: "Delete group", Cancel: "/admin/groups",
		Lines: []string{plural(g.TotalUsers, "member stays a user", "members stay users") + "; only the group and its memberships go.",
			"Supervisors who manage this group lose access to its members' recordings through it.",
			"Reports and filters that name this group will no longer find it."}}, "")
	return nil
}

func (h *Handler) deleteGroup(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	g, err := h.loadGroup(r, p, true)
	if err != nil {
		return err
	}
	if err := h.Accounts.DeleteGroup(r.Context(), p.Actor(), g.TenantID, g.ID); err != nil {
		if errors.Is(err, account.ErrDefaultGroupFixed) {
			return errDefaultGroup
		}
		return err
	}
	h.redirectFlash(w, r, "/admin/groups", "group_deleted")
	return nil
}

// membersView is a group with its members and the users who may join.
type membersView struct {
	Group      store.Group
	Members    []store.User
	Candidates []store.User
	Error      string
}

func (h *Handler) groupMembersPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	g, err := h.loadGroup(r, p, false)
	if err != nil {
		return err
	}
	return h.showMembers(w, r, p, http.StatusOK, g, "")
}

func (h *Handler) showMembers(w http.ResponseWriter, r *http.Request, p *principal.Principal, status int, g store.Group, msg string) error {
	ctx := r.Context()
	v := membersView{Group: g}
	var err error
	if v.Members, err = h.Accounts.Members(ctx, p, g.ID); err != nil {
		return serviceErr(err)
	}
	in := map[string]bool{}
	for _, u := range v.Members {
		in[u.ID] = true
	}
	all, _, _, err := h.Accounts.Users(ctx, p, store.UserFilter{Limit: 500})
	if err != nil {
		return serviceErr(err)
	}
	for _, u := range all {
		if !in[u.ID] {
			v.Candidates = append(v.Candidates, u)
		}
	}
	h.adminView(w, r, status, "group_members", g.Name, "groups", v, msg)
	return nil
}

func (h *Handler) addGroupMember(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	g, err := h.loadGroup(r, p, false)
	if err != nil {
		return err
	}
	uid := r.PostForm.Get("user_id")
	if uid == "" {
		return h.showMembers(w, r, p, http.StatusBadRequest, g, "Choose a user to add.")
	}
	if err := h.Accounts.AddMember(r.Context(), p.Actor(), g.TenantID, g.ID, uid); err != nil {
		if errors.Is(err, account.ErrNotFound) {
			return h.showMembers(w, r, p, http.StatusBadRequest, g, "That user is not in this tenant.")
		}
		return err
	}
	h.redirectFlash(w, r, "/admin/groups/"+g.ID, "member_added")
	return nil
}

func (h *Handler) removeGroupMember(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	g, err := h.loadGroup(r, p, false)
	if err != nil {
		return err
	}
	if g.IsDefault {
		return errDefaultGroup
	}
	if err := h.Accounts.RemoveMember(r.Context(), p.Actor(), g.TenantID, g.ID, r.PathValue("user_id")); err != nil {
		if errors.Is(err, account.ErrNotFound) {
			return errNotFound
		}
		return err
	}
	h.redirectFlash(w, r, "/admin/groups/"+g.ID, "member_removed")
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "Its 1 " + one
	}
	return "Its " + itoa(n) + " " + many
}

func itoa(n int) string { return strconv.Itoa(n) }
