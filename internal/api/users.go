package api

import (
	"net/http"
	"strconv"

	"callrec/internal/account"
	"callrec/internal/principal"
)

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	f, err := userFilter(r.URL.Query())
	if err != nil {
		return err
	}
	users, next, _, err := h.Accounts.Users(r.Context(), p, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(users, next, userJSON))
	return nil
}

func limitParam(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 500 {
		return 0, validationFailed(map[string]string{"limit": "a number from 1 to 500"})
	}
	return n, nil
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var in account.UserInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Name == nil || in.Role == nil {
		f := map[string]string{}
		if in.Name == nil {
			f["name"] = "required"
		}
		if in.Role == nil {
			f["role"] = "required"
		}
		return validationFailed(f)
	}
	u, err := h.Accounts.CreateUser(r.Context(), p.Actor(), p.TenantID, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, userJSON(u))
	return nil
}

func (h *Handler) getUser(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	u, err := h.Accounts.GetUser(r.Context(), p.TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userJSON(u))
	return nil
}

func (h *Handler) updateUser(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var in account.UserInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	u, err := h.Accounts.UpdateUser(r.Context(), p.Actor(), p.TenantID, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userJSON(u))
	return nil
}

func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	if err := h.Accounts.DeleteUser(r.Context(), p.Actor(), p.TenantID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) resetTwoFactor(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	if err := h.Accounts.ResetTwoFactor(r.Context(), p.Actor(), p.TenantID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
