package api

import (
	"net/http"

	"callrec/internal/principal"
)

func (h *Handler) listAlerts(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	as, err := h.Accounts.Alerts(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(as, "", alertJSON))
	return nil
}

func (h *Handler) resolveAlert(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	if err := h.Accounts.ResolveAlert(r.Context(), p.Actor(), p.TenantID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
