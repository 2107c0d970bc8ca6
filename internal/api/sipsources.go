package api

import (
	"net/http"

	"callrec/internal/account"
	"callrec/internal/principal"
	"callrec/internal/roles"
)

// registerRecordings lists the recorder's routes: SIPREC sources, calls and
// their audio, and the live event stream.
func (h *Handler) registerRecordings(mux *http.ServeMux) {
	sources := access{perm: roles.IntegrationsManage, tenant: true}
	h.route(mux, "GET /api/v1/sip-sources", sources, h.listSIPSources)
	h.route(mux, "POST /api/v1/sip-sources", sources, h.createSIPSource)
	h.route(mux, "GET /api/v1/sip-sources/{id}", sources, h.getSIPSource)
	h.route(mux, "PATCH /api/v1/sip-sources/{id}", sources, h.updateSIPSource)
	h.route(mux, "DELETE /api/v1/sip-sources/{id}", sources, h.deleteSIPSource)

	h.route(mux, "GET /api/v1/calls", access{rule: roles.ViewCalls, tenant: true}, h.listCalls)
	h.route(mux, "GET /api/v1/calls/{id}", access{rule: roles.ViewCalls, tenant: true}, h.getCall)
	h.route(mux, "GET /api/v1/calls/{id}/audio", access{rule: roles.HearCalls, tenant: true}, h.callAudio)
	h.route(mux, "GET /api/v1/events", access{rule: roles.FollowEvents, tenant: true}, h.events)
}

func (h *Handler) listSIPSources(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	s, err := h.Accounts.SIPSources(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(s, "", sipSourceJSON))
	return nil
}

func (h *Handler) createSIPSource(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var in account.SIPSourceInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	s, err := h.Accounts.CreateSIPSource(r.Context(), p.Actor(), p.TenantID, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, sipSourceJSON(s))
	return nil
}

func (h *Handler) getSIPSource(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	s, err := h.Accounts.SIPSource(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sipSourceJSON(s))
	return nil
}

func (h *Handler) updateSIPSource(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var in account.SIPSourceInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	s, err := h.Accounts.UpdateSIPSource(r.Context(), p.Actor(), p.TenantID, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sipSourceJSON(s))
	return nil
}

func (h *Handler) deleteSIPSource(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	if err := h.Accounts.DeleteSIPSource(r.Context(), p.Actor(), p.TenantID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
