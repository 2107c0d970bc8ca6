package ui

import (
	"errors"
	"net/http"

	"callrec/internal/principal"
	"callrec/internal/recordings"
)

// unknownView is Administration > Unknown extensions: the addresses of
// the last 30 days' Unassigned recordings, to create users for.
type unknownView struct {
	Rows []recordings.UnknownExtension
}

func (h *Handler) unknownExtensionsPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	rows, err := h.Calls.UnknownExtensions(r.Context(), p)
	if err != nil {
		return workspaceErr(err)
	}
	h.render(w, r, http.StatusOK, "unknown", view{Title: "Unknown extensions", Nav: "admin", Sub: "unknown",
		Data: unknownView{Rows: rows}, Flash: doneMessage(r)})
	return nil
}

func (h *Handler) assignUnknown(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	aor := r.PostFormValue("aor")
	if aor == "" || len(aor) > 512 {
		return errBadForm
	}
	_, _, err := h.Calls.AssignPast(r.Context(), p, aor)
	if errors.Is(err, recordings.ErrNoOwner) {
		return &pageError{Status: http.StatusConflict, Title: "No user has this extension yet",
			Message: "Create the user with this extension first; then their past calls can be given to them.",
			Href:    "/admin/unknown-extensions", Action: "Back to Unknown extensions"}
	}
	if err != nil {
		return workspaceErr(err)
	}
	h.redirectFlash(w, r, "/admin/unknown-extensions", "calls_assigned")
	return nil
}
