package ui

import (
	"net/http"

	"callrec/internal/account"
	"callrec/internal/principal"
	"callrec/internal/store"
)

// providerSourcesView is Service provider > All SIPREC sources: every
// tenant's sources in one list, with the overlaps across tenants flagged.
type providerSourcesView struct {
	Sources   []account.ProviderSIPSource
	Conflicts int // sources that overlap another tenant's
	Tenants   int // tenants with at least one source
}

func (h *Handler) registerProvider(mux *http.ServeMux, stages []string) {
	page := func(fn pageFunc) http.HandlerFunc { return h.signedIn(stages, fn) }
	mux.HandleFunc("GET /admin/provider/sip-sources", page(h.providerSourcesPage))
	mux.HandleFunc("POST /provider/alerts/{id}/dismiss", page(h.dismissProviderAlert))
}

func (h *Handler) providerSourcesPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	if err := h.providerOnly(p); err != nil {
		return err
	}
	srcs, err := h.Accounts.ProviderSIPSources(r.Context())
	if err != nil {
		return err
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

// providerAlerts are the provider's open alerts for its home page; nil for
// anyone else.
func (h *Handler) providerAlerts(r *http.Request, p *principal.Principal) ([]store.ProviderAlert, error) {
	if h.providerOnly(p) != nil {
		return nil, nil
	}
	return h.DB.Q().OpenProviderAlerts(r.Context())
}

// dismissProviderAlert resolves one of the provider's alerts.
func (h *Handler) dismissProviderAlert(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	if err := h.providerOnly(p); err != nil {
		return err
	}
	if err := h.DB.Q().ResolveProviderAlert(r.Context(), r.PathValue("id"), h.DB.Now()); err != nil {
		return errNotFound
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}
