package ui

import (
	"net/http"

	"callrec/internal/account"
	"callrec/internal/principal"
	"callrec/internal/store"
)

// sipSourcesView is System > SIPREC sources: the SBCs and SIP platforms
// allowed to send the tenant's calls, and the add or edit form.
type sipSourcesView struct {
	Sources []store.SIPSource
	// Editing is the source the form changes; nil adds one.
	Editing *store.SIPSource
	Name    string
	Address string
	Domain  string
	// Unmatched is the rule for calls matching no user (store.Unmatched*).
	Unmatched string
	Errors    map[string]string
}

func (h *Handler) showSIPSources(w http.ResponseWriter, r *http.Request, p *principal.Principal, status int, v sipSourcesView) error {
	var err error
	if v.Sources, err = h.Accounts.SIPSources(r.Context(), p); err != nil {
		return serviceErr(err)
	}
	msg := ""
	if len(v.Errors) > 0 {
		msg = "The source was not saved; see the messages below the fields."
	}
	h.adminView(w, r, status, "sipsources", "SIPREC sources", "sipsources", v, msg)
	return nil
}

func (h *Handler) sipSourcesPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	return h.showSIPSources(w, r, p, http.StatusOK, sipSourcesView{})
}

// readSIPSource reads the form into the view and the service's input.
func readSIPSource(r *http.Request) (sipSourcesView, account.SIPSourceInput) {
	v := sipSourcesView{Name: r.PostForm.Get("name"), Address: r.PostForm.Get("address"), Domain: r.PostForm.Get("domain"),
		Unmatched: r.PostForm.Get("unmatched")}
	return v, account.SIPSourceInput{Name: &v.Name, Address: &v.Address, Domain: &v.Domain, Unmatched: &v.Unmatched}
}

func (h *Handler) createSIPSource(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	v, in := readSIPSource(r)
	_, err := h.Accounts.CreateSIPSource(r.Context(), p.Actor(), p.TenantID, in)
	if fields, ok := formErrors(err); ok {
		v.Errors = fields
		return h.showSIPSources(w, r, p, http.StatusBadRequest, v)
	}
	if err != nil {
		return err
	}
	h.redirectFlash(w, r, "/admin/sip-sources", "source_created")
	return nil
}

// loadSIPSource finds a source of the acting tenant.
func (h *Handler) loadSIPSource(r *http.Request, p *principal.Principal) (store.SIPSource, error) {
	s, err := h.Accounts.SIPSource(r.Context(), p, r.PathValue("id"))
	return s, serviceErr(err)
}

func (h *Handler) editSIPSourcePage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	s, err := h.loadSIPSource(r, p)
	if err != nil {
		return err
	}
	return h.showSIPSources(w, r, p, http.StatusOK, sipSourcesView{Editing: &s, Name: s.Name, Address: s.Address, Domain: s.Domain, Unmatched: s.Unmatched})
}

func (h *Handler) updateSIPSource(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	s, err := h.loadSIPSource(r, p)
	if err != nil {
		return err
	}
	v, in := readSIPSource(r)
	v.Editing = &s
	_, err = h.Accounts.UpdateSIPSource(r.Context(), p.Actor(), s.TenantID, s.ID, in)
	if fields, ok := formErrors(err); ok {
		v.Errors = fields
		return h.showSIPSources(w, r, p, http.StatusBadRequest, v)
	}
	if err != nil {
		return err
	}
	h.redirectFlash(w, r, "/admin/sip-sources", "source_saved")
	return nil
}

func (h *Handler) deleteSIPSourcePage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	s, err := h.loadSIPSource(r, p)
	if err != nil {
		return err
	}
	h.adminView(w, r, http.StatusOK, "confirm", "Delete "+s.Name, "sipsources", confirmView{
		Heading: "Delete SIPREC source " + s.Name + "?", Action: "/admin/sip-sources/" + s.ID + "/delete", Button: "Delete source",
		Cancel: "/admin/sip-sources",
		Lines: []string{"Calls it sends from now on are refused (SIP 403) and not recorded.",
			"Calls already recorded from it stay, with their audio."}}, "")
	return nil
}

func (h *Handler) deleteSIPSource(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	s, err := h.loadSIPSource(r, p)
	if err != nil {
		return err
	}
	if err := h.Accounts.DeleteSIPSource(r.Context(), p.Actor(), s.TenantID, s.ID); err != nil {
		return err
	}
	h.redirectFlash(w, r, "/admin/sip-sources", "source_deleted")
	return nil
}
