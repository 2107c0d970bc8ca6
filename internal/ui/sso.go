package ui

import (
	"errors"
	"net/http"
	"strings"

	"callrec/internal/api"
	"callrec/internal/principal"
	"callrec/internal/roles"
	"callrec/internal/sso"
	"callrec/internal/store"
)

// maxSAMLBytes bounds a posted SAML message (a signed Response with many
// attributes is a few tens of kilobytes).
const maxSAMLBytes = 512 << 10

// registerSSO lists the SAML endpoints and the provider's SSO settings.
// The SAML endpoints are public: the ACS and SLO take cross-site posts by
// design (the IdP's form), so they carry no CSRF token; the signed message
// is their protection, and the ACS checks InResponseTo and keeps RelayState
// to a local path.
func (h *Handler) registerSSO(mux *http.ServeMux) {
	if h.SSO == nil {
		return
	}
	h.publicHandler(mux, "GET "+sso.MetadataPath, http.HandlerFunc(h.samlMetadata))
	h.publicRoute(mux, "GET "+sso.LoginPath, h.samlLogin)
	h.publicHandler(mux, "POST "+sso.ACSPath, h.samlPost(h.samlACS))
	h.publicHandler(mux, "GET "+sso.SLOPath, h.samlPost(h.samlSLO))
	h.publicHandler(mux, "POST "+sso.SLOPath, h.samlPost(h.samlSLO))

	provider := access{perm: roles.TenantsManage}
	h.route(mux, "GET /admin/sso", provider, h.ssoPage)
	h.route(mux, "POST /admin/sso", provider, h.createIdP)
	h.route(mux, "GET /admin/sso/{id}", provider, h.editIdPPage)
	h.route(mux, "POST /admin/sso/{id}", provider, h.updateIdP)
	h.route(mux, "POST /admin/sso/{id}/delete", provider, h.deleteIdP)
	h.route(mux, "GET /admin/sso/{id}/test", provider, h.testIdP)
}

func (h *Handler) samlMetadata(w http.ResponseWriter, r *http.Request) {
	b, err := h.SSO.Metadata()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	_, _ = w.Write(b)
}

// samlPost bounds and parses a SAML binding's form (no CSRF token: see
// registerSSO).
func (h *Handler) samlPost(fn func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := parseForm(w, r, maxSAMLBytes); err != nil {
			h.fail(w, r, err)
			return
		}
		if err := fn(w, r); err != nil {
			h.fail(w, r, ssoErr(err))
		}
	})
}

// ssoErr shows a refusal on the error page with its safe text.
func ssoErr(err error) error {
	var ref *sso.Refusal
	if errors.As(err, &ref) {
		status := http.StatusForbidden
		if ref.Code == sso.RefusedMalformed {
			status = http.StatusBadRequest
		}
		return &pageError{Status: status, Title: "Single sign-on refused", Message: ref.Message,
			Href: "/login", Action: "Go to sign in"}
	}
	return serviceErr(err)
}

func (h *Handler) samlLogin(w http.ResponseWriter, r *http.Request) error {
	to, err := h.SSO.StartLogin(r.Context(), r.URL.Query().Get("idp"), r.URL.Query().Get("relay"))
	if err != nil {
		return ssoErr(err)
	}
	http.Redirect(w, r, to, http.StatusFound)
	return nil
}

// samlACS signs the user in, or shows a Test sign-in's findings.
func (h *Handler) samlACS(w http.ResponseWriter, r *http.Request) error {
	res, err := h.SSO.ACS(r.Context(), r, principal.ClientIP(r))
	if err != nil {
		return err
	}
	if res.Test != nil {
		h.render(w, r, http.StatusOK, "ssotest", view{Title: "Test sign-in", Public: true, Data: res.Test})
		return nil
	}
	api.SetSessionCookie(w, res.SignedIn.Token, res.SignedIn.Session.ExpiresAt, h.SecureCookies)
	dest := stagePath(res.SignedIn.Session.Stage)
	if dest == "/" {
		dest = safeNext(res.Next)
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
	return nil
}

func (h *Handler) samlSLO(w http.ResponseWriter, r *http.Request) error {
	res, err := h.SSO.SLO(r.Context(), r, principal.ClientIP(r))
	if err != nil {
		return err
	}
	if res.Response {
		h.redirectFlash(w, r, "/login", "signed_out")
		return nil
	}
	api.ClearSessionCookie(w, h.SecureCookies)
	http.Redirect(w, r, res.Redirect, http.StatusFound)
	return nil
}

// samlLogout continues a SAML session's sign-out at the IdP. A page with
// a refresh, not a redirect: the sign-out form's CSP form-action keeps a
// post from being redirected to another origin.
func (h *Handler) samlLogout(w http.ResponseWriter, r *http.Request, to string) {
	h.render(w, r, http.StatusOK, "ssologout", view{Title: "Signing out", Public: true, Data: to})
}

// ssoView is the provider's SSO settings page.
type ssoView struct {
	IdPs     []idpRow
	Tenants  []store.Tenant
	Editing  *store.SAMLIdP
	Form     idpForm
	Errors   map[string]string
	EntityID string
	ACS      string
	SLO      string
	Login    string
}

type idpRow struct {
	store.SAMLIdP
	TenantName string
}

type idpForm struct {
	Name, TenantID, EntityID, MetadataURL, MetadataXML, SSOURL, SLOURL, Cert1, Cert2, MatchAttr string
	EnforcesMFA, Enabled                                                                        bool
}

func idpFormOf(x store.SAMLIdP) idpForm {
	return idpForm{Name: x.Name, TenantID: x.TenantID, EntityID: x.EntityID, MetadataURL: x.MetadataURL, SSOURL: x.SSOURL,
		SLOURL: x.SLOURL, Cert1: x.Cert1, Cert2: x.Cert2, MatchAttr: x.MatchAttr, EnforcesMFA: x.EnforcesMFA, Enabled: x.Enabled}
}

func readIdPForm(r *http.Request) (idpForm, sso.IdPInput) {
	f := idpForm{}
	for _, fv := range []struct {
		dst  *string
		name string
	}{{&f.Name, "name"}, {&f.TenantID, "tenant_id"}, {&f.EntityID, "entity_id"}, {&f.MetadataURL, "metadata_url"},
		{&f.MetadataXML, "metadata_xml"}, {&f.SSOURL, "sso_url"}, {&f.SLOURL, "slo_url"}, {&f.Cert1, "cert1"},
		{&f.Cert2, "cert2"}, {&f.MatchAttr, "match_attribute"}} {
		*fv.dst = strings.TrimSpace(r.PostForm.Get(fv.name))
	}
	f.EnforcesMFA, f.Enabled = formBool(r, "enforces_mfa"), formBool(r, "enabled")
	in := sso.IdPInput{Name: &f.Name, TenantID: &f.TenantID, EntityID: &f.EntityID, SSOURL: &f.SSOURL, SLOURL: &f.SLOURL,
		Cert1: &f.Cert1, Cert2: &f.Cert2, MatchAttribute: &f.MatchAttr, EnforcesMFA: &f.EnforcesMFA, Enabled: &f.Enabled}
	if f.MetadataXML != "" {
		in.MetadataXML = &f.MetadataXML
	}
	if f.MetadataURL != "" {
		in.MetadataURL = &f.MetadataURL
	}
	return f, in
}

func (h *Handler) showSSO(w http.ResponseWriter, r *http.Request, p *principal.Principal, status int, v ssoView) error {
	idps, err := h.SSO.ListIdPs(r.Context(), p)
	if err != nil {
		return serviceErr(err)
	}
	if v.Tenants, err = h.Accounts.Tenants(r.Context(), p); err != nil {
		return serviceErr(err)
	}
	names := map[string]string{}
	for _, t := range v.Tenants {
		names[t.ID] = t.Name
	}
	for _, x := range idps {
		v.IdPs = append(v.IdPs, idpRow{SAMLIdP: x, TenantName: names[x.TenantID]})
	}
	v.EntityID = h.SSO.EntityID()
	base := strings.TrimSuffix(v.EntityID, sso.MetadataPath)
	v.ACS, v.SLO, v.Login = base+sso.ACSPath, base+sso.SLOPath, base+sso.LoginPath
	msg := ""
	if len(v.Errors) > 0 {
		msg = "The identity provider was not saved: check the marked fields."
	}
	h.adminView(w, r, status, "sso", "Single sign-on", "sso", v, msg)
	return nil
}

func (h *Handler) ssoPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	return h.showSSO(w, r, p, http.StatusOK, ssoView{Form: idpForm{MatchAttr: sso.MatchNameID, Enabled: true}})
}

func (h *Handler) editIdPPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	x, err := h.SSO.GetIdP(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return serviceErr(err)
	}
	return h.showSSO(w, r, p, http.StatusOK, ssoView{Editing: &x, Form: idpFormOf(x)})
}

func (h *Handler) createIdP(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	f, in := readIdPForm(r)
	_, err := h.SSO.CreateIdP(r.Context(), p, in)
	if fields, ok := formErrors(err); ok {
		return h.showSSO(w, r, p, http.StatusUnprocessableEntity, ssoView{Form: f, Errors: fields})
	} else if err != nil {
		return serviceErr(err)
	}
	h.redirectFlash(w, r, "/admin/sso", "idp_saved")
	return nil
}

func (h *Handler) updateIdP(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	f, in := readIdPForm(r)
	x, err := h.SSO.UpdateIdP(r.Context(), p, r.PathValue("id"), in)
	if fields, ok := formErrors(err); ok {
		return h.showSSO(w, r, p, http.StatusUnprocessableEntity, ssoView{Editing: &x, Form: f, Errors: fields})
	} else if err != nil {
		return serviceErr(err)
	}
	h.redirectFlash(w, r, "/admin/sso", "idp_saved")
	return nil
}

func (h *Handler) deleteIdP(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	if err := h.SSO.DeleteIdP(r.Context(), p, r.PathValue("id")); err != nil {
		return serviceErr(err)
	}
	h.redirectFlash(w, r, "/admin/sso", "idp_deleted")
	return nil
}

// testIdP runs an SP-initiated sign-in in test mode: the ACS shows what
// the IdP sent instead of signing anyone in. A link, not a form: a form's
// redirect to the IdP would break the CSP's form-action.
func (h *Handler) testIdP(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	to, err := h.SSO.TestLogin(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return ssoErr(err)
	}
	http.Redirect(w, r, to, http.StatusFound)
	return nil
}
