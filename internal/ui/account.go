package ui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"callrec/internal/auth"
	"callrec/internal/principal"
	"callrec/internal/store"
	"callrec/internal/validate"
)

// securityView is the user's 2-step verification status.
type securityView struct {
	Enabled   bool
	Enforced  bool
	Remaining int
}

func (h *Handler) securityPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	st, err := h.Auth.TwoFactor(r.Context(), p.User)
	if err != nil {
		return err
	}
	v := securityView{Enabled: st.Enabled, Enforced: st.Enforced, Remaining: st.Remaining}
	h.render(w, r, http.StatusOK, "security", view{Title: "Security", Nav: "account", Data: v})
	return nil
}

// tokensView lists the caller's own API tokens; Created holds a new raw
// token, shown this once.
type tokensView struct {
	Tokens  []store.APIToken
	Created string
	Name    string
}

func (h *Handler) tokensPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	return h.showTokens(w, r, p, http.StatusOK, tokensView{}, "")
}

func (h *Handler) showTokens(w http.ResponseWriter, r *http.Request, p *principal.Principal, status int, v tokensView, msg string) error {
	ts, err := h.Accounts.Tokens(r.Context(), p)
	if err != nil {
		return serviceErr(err)
	}
	v.Tokens = ts
	h.render(w, r, status, "tokens", view{Title: "API tokens", Nav: "account", Data: v, Error: msg})
	return nil
}

func (h *Handler) createToken(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	name := strings.TrimSpace(r.PostForm.Get("name"))
	raw, _, err := h.Accounts.CreateToken(r.Context(), p.Actor(), p.User, name)
	if _, bad := errors.AsType[validate.Errors](err); bad {
		return h.showTokens(w, r, p, http.StatusBadRequest, tokensView{Name: name}, "Give the token a name of at most 100 characters, such as the system that will use it.")
	}
	if err != nil {
		return err
	}
	return h.showTokens(w, r, p, http.StatusCreated, tokensView{Created: raw}, "")
}

func (h *Handler) revokeToken(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	err := h.Accounts.RevokeToken(r.Context(), p.Actor(), p.User.TenantID, r.PathValue("id"), p.User.ID)
	if err != nil {
		return serviceErr(err)
	}
	h.redirectFlash(w, r, "/account/tokens", "token_revoked")
	return nil
}

// termsView is the terms page's state.
type termsView struct {
	Version  int
	Accepted bool
}

func (h *Handler) termsPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	v, err := h.Auth.TermsVersion(r.Context(), p.User)
	if err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "terms", view{Title: "Terms and conditions",
		Data: termsView{Version: v, Accepted: p.Session.Stage == auth.StageOK && p.User.TermsAcceptedVersion >= v}})
	return nil
}

func (h *Handler) acceptTerms(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	v, err := strconv.Atoi(r.PostForm.Get("version"))
	if err != nil {
		return errBadForm
	}
	err = h.Auth.AcceptTerms(r.Context(), p.Session, p.User, v, p.IP)
	if errors.Is(err, auth.ErrStage) {
		current, cerr := h.Auth.TermsVersion(r.Context(), p.User)
		if cerr != nil {
			return cerr
		}
		h.render(w, r, http.StatusConflict, "terms", view{Title: "Terms and conditions", Data: termsView{Version: current},
			Error: "The terms changed while you were reading them. Please read this version and accept it."})
		return nil
	}
	if err != nil {
		return err
	}
	h.redirectFlash(w, r, stagePath(p.Session.Stage), "terms_accepted")
	return nil
}
