package ui

import (
	"net/http"

	"callrec/internal/account"
	"callrec/internal/principal"
)

// providerSourcesView is Service provider > All SIPREC sources: every
// tenant's sources in one list, with the overlaps across tenants flagged.
type providerSourcesView struct {
	Sources   []account.ProviderSIPSource
	Conflicts int // sources that overlap another tenant's
	Tenants   int // tenants with at least one source
}

func (h *Handler) providerSourcesPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	srcs, err := h.Accounts.ProviderSources(r.Context(), p)
	if err != nil {
		return serviceErr(err)
	}
	v := providerSourcesView{Sources: srcs}
	seen := map[string]bool{}
	for _, s := range srcs {
		if len(s.Conflicts) > 0 {
			v.Conflicts++
		}
		if !seen[s.TenantID] {
			seen[s.TenantID], v.Tenants = true, v.Tenants+1
		}
	}
	h.adminView(w, r, http.StatusOK, "providersources", "All SIPREC sources", "allsources", v, "")
	return nil
}

// dismissProviderAlert resolves one of the provider's alerts.
func (h *Handler) dismissProviderAlert(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	if err := h.Accounts.ResolveProviderAlert(r.Context(), p, r.PathValue("id")); err != nil {
		return serviceErr(err)
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}
