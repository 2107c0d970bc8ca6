package api

import (
	"net/http"

	"callrec/internal/account"
	"callrec/internal/principal"
)

func (h *Handler) listGroups(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	gs, err := h.Accounts.Groups(r.Context(), p, r.URL.Query().Get("search"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(gs, "", groupJSON))
	return nil
}

func (h *Handler) createGroup(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var in account.GroupInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	g, err := h.Accounts.CreateGroup(r.Context(), p.Actor(), p.TenantID, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, groupJSON(g))
	return nil
}

func (h *Handler) getGroup(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	g, err := h.Accounts.Group(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, groupJSON(g))
	return nil
}

func (h *Handler) updateGroup(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var in account.GroupInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	g, err := h.Accounts.UpdateGroup(r.Context(), p.Actor(), p.TenantID, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, groupJSON(g))
	return nil
}

func (h *Handler) deleteGroup(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	if err := h.Accounts.DeleteGroup(r.Context(), p.Actor(), p.TenantID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) listMembers(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	us, err := h.Accounts.Members(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(us, "", userJSON))
	return nil
}

func (h *Handler) addMember(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	if err := h.Accounts.AddMember(r.Context(), p.Actor(), p.TenantID, r.PathValue("id"), r.PathValue("user_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) removeMember(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	if err := h.Accounts.RemoveMember(r.Context(), p.Actor(), p.TenantID, r.PathValue("id"), r.PathValue("user_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
