package ui

import (
	"errors"
	"net/http"
	"net/url"

	"callrec/internal/account"
	"callrec/internal/principal"
	"callrec/internal/roles"
	"callrec/internal/store"
)

// bulkForm is Bulk Edit's form as posted: "" everywhere means no change.
type bulkForm struct {
	IDs            []string
	Role           string
	Status         string
	AddGroups      []string
	RemoveGroups   []string
	SetManaged     bool
	ManagedGroups  []string
	Record         string
	RecordInbound  string
	RecordOutbound string
	Licenses       map[string]string // type → "add" | "remove"
	SpeechType     string
}

// bulkPage is the Bulk Edit page: the selection, the form and, after
// "Preview", what will change.
type bulkPage struct {
	Form        bulkForm
	Users       []store.User
	Groups      []store.Group
	Roles       []roles.Role
	RecordModes []option
	Pools       []pool
	Plan        *account.BulkPlan
	Short       []account.PoolCheck
	Errors      map[string]string
}

func readBulkForm(v url.Values) (bulkForm, account.BulkRequest) {
	f := bulkForm{IDs: v["id"], Role: v.Get("role"), Status: v.Get("status"), AddGroups: v["add_groups"], RemoveGroups: v["remove_groups"],
		SetManaged: v.Get("set_managed") != "", ManagedGroups: v["managed_groups"], Record: v.Get("record"),
		RecordInbound: v.Get("record_inbound"), RecordOutbound: v.Get("record_outbound"), Licenses: map[string]string{},
		SpeechType: v.Get("speech_analytics_type")}
	req := account.BulkRequest{UserIDs: f.IDs, Changes: account.BulkChanges{AddGroups: f.AddGroups, RemoveGroups: f.RemoveGroups}}
	c := &req.Changes
	str := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	yes := func(s string) *bool {
		if s != "yes" && s != "no" {
			return nil
		}
		b := s == "yes"
		return &b
	}
	c.Role, c.Record, c.SpeechAnalyticsType = str(f.Role), str(f.Record), str(f.SpeechType)
	c.RecordInbound, c.RecordOutbound = yes(f.RecordInbound), yes(f.RecordOutbound)
	switch f.Status {
	case "active":
		c.Active = yes("yes")
	case "inactive":
		c.Active = yes("no")
	}
	if f.SetManaged {
		m := append([]string{}, f.ManagedGroups...)
		c.ManagedGroups = &m
	}
	for _, lt := range store.LicenseTypes() {
		switch v.Get("lic_" + lt) {
		case "add":
			f.Licenses[lt] = "add"
			c.AddLicenses = append(c.AddLicenses, lt)
		case "remove":
			f.Licenses[lt] = "remove"
			c.RemoveLicenses = append(c.RemoveLicenses, lt)
		}
	}
	return f, req
}

func (h *Handler) showBulk(w http.ResponseWriter, r *http.Request, p *principal.Principal, status int, v bulkPage, msg string) error {
	ctx := r.Context()
	for _, id := range v.Form.IDs {
		u, err := h.Accounts.User(ctx, p, id)
		if errors.Is(err, account.ErrNotFound) {
			continue
		}
		if err != nil {
			return serviceErr(err)
		}
		v.Users = append(v.Users, u)
	}
	var err error
	if v.Groups, err = h.Accounts.Groups(ctx, p, ""); err != nil {
		return serviceErr(err)
	}
	if v.Pools, err = h.pools(r, p, p.TenantID); err != nil {
		return err
	}
	v.Roles, v.RecordModes = tenantRoles(), recordOptions
	if len(v.Users) == 0 && msg == "" {
		msg = "No users are selected. Go back to the users list, tick the users to change, then choose “Bulk edit selected”."
	}
	h.adminView(w, r, status, "bulk", "Bulk Edit", "users", v, msg)
	return nil
}

func (h *Handler) bulkPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	f, _ := readBulkForm(r.URL.Query())
	return h.showBulk(w, r, p, http.StatusOK, bulkPage{Form: f}, "")
}

// bulkSubmit previews the changes or, with step=apply, applies them to all
// selected users or none.
func (h *Handler) bulkSubmit(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	tenantID := p.TenantID
	f, req := readBulkForm(r.PostForm)
	v := bulkPage{Form: f}
	if r.PostForm.Get("step") == "apply" {
		_, err := h.Accounts.BulkUpdate(r.Context(), p.Actor(), tenantID, req)
		if short, ok := errors.AsType[*account.ShortageError](err); ok {
			v.Short = short.Pools
			return h.showBulk(w, r, p, http.StatusConflict, v, "Nothing was changed: not enough licenses for the whole batch. "+short.Summary()+".")
		}
		if fields, ok := formErrors(err); ok {
			v.Errors = fields
			return h.showBulk(w, r, p, http.StatusBadRequest, v, "Nothing was changed. "+bulkMessage(fields))
		}
		if err != nil {
			return err
		}
		h.redirectFlash(w, r, "/admin/users", "bulk_applied")
		return nil
	}
	plan, err := h.Accounts.PreviewBulk(r.Context(), p.Actor(), tenantID, req)
	if fields, ok := formErrors(err); ok {
		v.Errors = fields
		return h.showBulk(w, r, p, http.StatusBadRequest, v, bulkMessage(fields))
	}
	if err != nil {
		return err
	}
	v.Plan, v.Short = &plan, plan.Short()
	msg := ""
	if len(v.Short) > 0 {
		msg = "Not enough licenses for the whole batch: " + (&account.ShortageError{Pools: v.Short}).Summary() + ". Change the selection or ask your service provider for more licenses."
	}
	return h.showBulk(w, r, p, http.StatusOK, v, msg)
}

func bulkMessage(fields map[string]string) string {
	for _, k := range []string{"changes", "user_ids", "active", "remove_groups", "add_groups", "managed_groups", "role", "licenses"} {
		if m, ok := fields[k]; ok {
			return fieldLabel(k) + ": " + m + "."
		}
	}
	return "Check the settings."
}
