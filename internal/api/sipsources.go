package api

import (
	"net/http"
	"net/netip"
	"strings"
	"time"

	"callrec/internal/account"
	"callrec/internal/principal"
	"callrec/internal/roles"
	"callrec/internal/store"
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

	calls := access{tenant: true}
	h.route(mux, "GET /api/v1/calls", calls, h.listCalls)
	h.route(mux, "GET /api/v1/calls/{id}", calls, h.getCall)
	h.route(mux, "GET /api/v1/calls/{id}/audio", calls, h.callAudio)
	h.route(mux, "GET /api/v1/events", calls, h.events)
}

type sipSourceBody struct {
	Name    *string `json:"name"`
	Address *string `json:"address"`
	Domain  *string `json:"domain"`
}

// apply validates and copies the fields that are set.
func (b sipSourceBody) apply(s *store.SIPSource) error {
	fields := map[string]string{}
	if b.Name != nil {
		s.Name = strings.TrimSpace(*b.Name)
	}
	if b.Address != nil {
		s.Address = strings.TrimSpace(*b.Address)
	}
	if b.Domain != nil {
		s.Domain = strings.ToLower(strings.TrimSpace(*b.Domain))
	}
	if s.Name == "" || len(s.Name) > 100 {
		fields["name"] = "required, at most 100 characters"
	}
	if !validSourceAddress(s.Address) {
		fields["address"] = "an IP address or a CIDR prefix such as 192.0.2.0/24"
	}
	if len(s.Domain) > 253 || strings.ContainsAny(s.Domain, " @/:") {
		fields["domain"] = "a SIP domain or request-URI user, without scheme or port"
	}
	if len(fields) > 0 {
		return validationFailed(fields)
	}
	return nil
}

func validSourceAddress(a string) bool {
	if strings.Contains(a, "/") {
		_, err := netip.ParsePrefix(a)
		return err == nil
	}
	_, err := netip.ParseAddr(a)
	return err == nil
}

func (h *Handler) listSIPSources(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	s, err := h.DB.Q().ListSIPSources(r.Context(), p.TenantID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": s, "next_cursor": ""})
	return nil
}

func (h *Handler) createSIPSource(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var b sipSourceBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	now := h.DB.Now()
	s := store.SIPSource{ID: account.NewID(), TenantID: p.TenantID, CreatedAt: now, UpdatedAt: now}
	if err := b.apply(&s); err != nil {
		return err
	}
	err := h.DB.InTx(r.Context(), func(tx store.Q) error {
		if err := tx.InsertSIPSource(r.Context(), s); err != nil {
			return err
		}
		return h.Accounts.Audit(r.Context(), tx, p.Actor(), p.TenantID, "sip_source.create", "sip_source", s.ID,
			map[string]string{"name": s.Name, "address": s.Address, "domain": s.Domain})
	})
	if err != nil {
		return sourceConflict(err)
	}
	writeJSON(w, http.StatusCreated, s)
	return nil
}

func sourceConflict(err error) error {
	if isConflict(err) {
		return &Error{http.StatusConflict, "conflict", "a SIPREC source with that name exists", nil}
	}
	return err
}

func (h *Handler) getSIPSource(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	s, err := h.DB.Q().GetSIPSource(r.Context(), p.TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s)
	return nil
}

func (h *Handler) updateSIPSource(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var b sipSourceBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	var s store.SIPSource
	err := h.DB.InTx(r.Context(), func(tx store.Q) error {
		var err error
		if s, err = tx.GetSIPSource(r.Context(), p.TenantID, r.PathValue("id")); err != nil {
			return err
		}
		if err := b.apply(&s); err != nil {
			return err
		}
		s.UpdatedAt = time.Now().UTC()
		if err := tx.UpdateSIPSource(r.Context(), s); err != nil {
			return err
		}
		return h.Accounts.Audit(r.Context(), tx, p.Actor(), p.TenantID, "sip_source.update", "sip_source", s.ID,
			map[string]string{"name": s.Name, "address": s.Address, "domain": s.Domain})
	})
	if err != nil {
		return sourceConflict(err)
	}
	writeJSON(w, http.StatusOK, s)
	return nil
}

func (h *Handler) deleteSIPSource(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	err := h.DB.InTx(r.Context(), func(tx store.Q) error {
		if err := tx.DeleteSIPSource(r.Context(), p.TenantID, r.PathValue("id")); err != nil {
			return err
		}
		return h.Accounts.Audit(r.Context(), tx, p.Actor(), p.TenantID, "sip_source.delete", "sip_source", r.PathValue("id"), nil)
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
