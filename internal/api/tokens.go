package api

import (
	"net/http"

	"callrec/internal/principal"
	"callrec/internal/roles"
)

// Tokens belong to a user. Admins (users.manage) see and revoke every token
// of their tenant and may issue one for another user of it; others only
// their own.

func (h *Handler) listTokens(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	ts, err := h.Accounts.ManagedTokens(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(ts, "", tokenJSON))
	return nil
}

type tokenBody struct {
	Name   string `json:"name"`
	UserID string `json:"user_id"`
}

type tokenAnswer struct {
	tokenOut
	Token string `json:"token"`
}

func (h *Handler) createToken(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var b tokenBody
	if err := decode(w, r, &b); err != nil {
		return err
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
		owner = u
	}
	raw, t, err := h.Accounts.CreateToken(r.Context(), p.Actor(), owner, b.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, tokenAnswer{tokenOut: tokenJSON(t), Token: raw})
	return nil
}

func (h *Handler) deleteToken(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	ownerOnly := p.User.ID
	if p.Can(roles.UsersManage) {
		ownerOnly = ""
	}
	if err := h.Accounts.RevokeToken(r.Context(), p.Actor(), p.User.TenantID, r.PathValue("id"), ownerOnly); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) listAudit(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	f, err := auditFilter(r.URL.Query())
	if err != nil {
		return err
	}
	pg, err := h.Accounts.AuditLog(r.Context(), p, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(pg.Entries, pg.Next, auditJSON))
	return nil
}
