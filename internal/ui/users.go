package ui

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"callrec/internal/principal"
	"callrec/internal/roles"
	"callrec/internal/store"
)

// usersPageSize is the users list's page, as in the guide's "20 per page".
const usersPageSize = 20

// usersView is one page of the users list with its filters.
type usersView struct {
	Users      []store.User
	GroupNames map[string]string
	Groups     []store.Group
	Roles      []roles.Role
	Licenses   []string
	Query      url.Values
	Filter     store.UserFilter
	Status     string
	Total      int
	First      int
	Last       int
	NextURL    template.URL
	FirstURL   template.URL
	ExportURL  template.URL
	Page       int
	Filtered   bool
	Pools      []pool
}

func (h *Handler) usersPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	ctx := r.Context()
	q := r.URL.Query()
	v := usersView{Query: q, Roles: tenantRoles(), Licenses: store.LicenseTypes(), Status: q.Get("status")}
	v.Filter = store.UserFilter{Search: q.Get("search"), GroupID: q.Get("group"), Role: q.Get("role"), License: q.Get("license"),
		Cursor: q.Get("cursor"), Limit: usersPageSize}
	if v.Status == "active" || v.Status == "inactive" {
		active := v.Status == "active"
		v.Filter.Active = &active
	}
	v.Filtered = v.Filter.Search != "" || v.Filter.GroupID != "" || v.Filter.Role != "" || v.Filter.License != "" || v.Filter.Active != nil
	users, next, total, err := h.Accounts.Users(ctx, p, v.Filter)
	if err != nil {
		return errNotFoundIfBadCursor(serviceErr(err))
	}
	v.Users, v.Total = users, total
	if v.Groups, err = h.Accounts.Groups(ctx, p, ""); err != nil {
		return serviceErr(err)
	}
	v.GroupNames = map[string]string{}
	for _, g := range v.Groups {
		v.GroupNames[g.ID] = g.Name
	}
	if v.Pools, err = h.pools(r, p, p.TenantID); err != nil {
		return err
	}
	if len(v.Users) > 0 {
		// Keyset paging does not know its page number; the Next link carries it.
		v.Page = 1
		if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 1 && v.Filter.Cursor != "" {
			v.Page = n
		}
		v.First = (v.Page-1)*usersPageSize + 1
		v.Last = v.First + len(v.Users) - 1
	}
	filters := url.Values{}
	for _, k := range []string{"search", "group", "role", "status", "license"} {
		if x := q.Get(k); x != "" {
			filters.Set(k, x)
		}
	}
	v.FirstURL = withQuery("/admin/users", filters, "", "")
	v.ExportURL = withQuery("/admin/users/export", filters, "", "")
	if next != "" {
		filters.Set("page", strconv.Itoa(v.Page+1))
		v.NextURL = withQuery("/admin/users", filters, "cursor", next)
	}
	h.adminView(w, r, http.StatusOK, "users", "Users", "users", v, "")
	return nil
}

func errNotFoundIfBadCursor(err error) error {
	if !errors.Is(err, store.ErrBadCursor) {
		return err
	}
	return &pageError{Status: http.StatusBadRequest, Title: "This page of the list is no longer valid",
		Message: "The link to this page of users is malformed. Start again from the first page.", Href: "/admin/users", Action: "First page"}
}
