package api

import (
	"net/http"
	"strings"
	"time"

	"callrec/internal/principal"
	"callrec/internal/roles"
	"callrec/internal/store"
)

// Tokens belong to a user. Admins (users.manage) see and revoke every token
// of their tenant and may issue one for another user of it; others only
// their own.

func (h *Handler) listTokens(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	owner := p.User.ID
	if p.Can(roles.UsersManage) {
		owner = ""
	}
	ts, err := h.DB.Q().ListTokens(r.Context(), p.User.TenantID, owner)
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []store.APIToken{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": ts, "next_cursor": ""})
	return nil
}

type tokenBody struct {
	Name   string `json:"name"`
	UserID string `json:"user_id"`
}

type tokenAnswer struct {
	store.APIToken
	Token string `json:"token"`
}

func (h *Handler) createToken(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var b tokenBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	b.Name = strings.TrimSpace(b.Name)
	if b.Name == "" || len(b.Name) > 100 {
		return validationFailed(map[string]string{"name": "required, at most 100 characters"})
	}
	owner := p.User
	if b.UserID != "" && b.UserID != p.User.ID {
		if !p.Can(roles.UsersManage) || p.User.TenantID == "" {
			return errForbidden
		}
		u, err := h.Accounts.GetUser(r.Context(), p.User.TenantID, b.UserID)
		if err != nil {
			return err
		}
		if !roles.Has(u.Role, roles.APIAccess) {
			return validationFailed(map[string]string{"user_id": "the user's role has no API access"})
		}
		owner = u
	}
	raw, t, err := h.Auth.CreateToken(r.Context(), owner, b.Name)
	if err != nil {
		return err
	}
	if err := h.auditToken(r, p, "token.create", t); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, tokenAnswer{APIToken: t, Token: raw})
	return nil
}

func (h *Handler) deleteToken(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	t, err := h.DB.Q().GetToken(r.Context(), p.User.TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if t.UserID != p.User.ID && !p.Can(roles.UsersManage) {
		return errNotFound
	}
	if err := h.DB.Q().DeleteToken(r.Context(), p.User.TenantID, t.ID); err != nil {
		return err
	}
	if err := h.auditToken(r, p, "token.delete", t); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) auditToken(r *http.Request, p *principal.Principal, action string, t store.APIToken) error {
	return h.DB.InTx(r.Context(), func(tx store.Q) error {
		return h.Accounts.Audit(r.Context(), tx, p.Actor(), p.User.TenantID, action, "token", t.ID,
			map[string]string{"name": t.Name, "user_id": t.UserID})
	})
}

func (h *Handler) listAudit(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	q := r.URL.Query()
	f := store.AuditFilter{Actor: q.Get("actor"), Action: q.Get("action"), ObjectType: q.Get("object_type"), ObjectID: q.Get("object_id"), Cursor: q.Get("cursor")}
	fields := map[string]string{}
	for name, dst := range map[string]**time.Time{"from": &f.From, "to": &f.To} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				fields[name] = "an RFC 3339 time"
				continue
			}
			*dst = &t
		}
	}
	if len(fields) > 0 {
		return validationFailed(fields)
	}
	limit, err := limitParam(q.Get("limit"))
	if err != nil {
		return err
	}
	f.Limit = limit
	es, next, err := h.DB.Q().ListAudit(r.Context(), p.TenantID, f)
	if err != nil {
		return err
	}
	if es == nil {
		es = []store.AuditEntry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": es, "next_cursor": next})
	return nil
}
