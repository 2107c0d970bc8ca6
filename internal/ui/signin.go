package ui

import (
	"errors"
	"net/http"
	"strings"

	"callrec/internal/api"
	"callrec/internal/auth"
	"callrec/internal/principal"
	"callrec/internal/sso"
)

// loginView is the sign-in form's state.
type loginView struct {
	Login string
	Next  string
	IdPs  []sso.Choice // "Sign in with …" (SAML 2.0)
}

// withIdPs adds the identity providers users may sign in with.
func (h *Handler) withIdPs(r *http.Request, f loginView) loginView {
	if h.SSO == nil {
		return f
	}
	var err error
	if f.IdPs, err = h.SSO.SignInChoices(r.Context()); err != nil {
		h.Log.Warn("ui: identity providers for the sign-in page", "err", err)
	}
	return f
}

func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request) error {
	next := safeNext(r.URL.Query().Get("next"))
	if p := principal.From(r.Context()); p != nil && p.Session != nil {
		if p.Session.Stage == auth.StageOK {
			http.Redirect(w, r, next, http.StatusSeeOther)
			return nil
		}
	}
	h.render(w, r, http.StatusOK, "login", view{Title: "Sign in", Public: true, Data: h.withIdPs(r, loginView{Next: next})})
	return nil
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) error {
	f := loginView{Login: strings.TrimSpace(r.PostForm.Get("login")), Next: safeNext(r.PostForm.Get("next"))}
	password := r.PostForm.Get("password")
	if f.Login == "" || password == "" {
		return h.loginFailed(w, r, f, http.StatusBadRequest, "Enter your login and password.")
	}
	if len(f.Login) > 254 || len(password) > 256 {
		return h.loginFailed(w, r, f, http.StatusBadRequest, "The login or password is too long.")
	}
	res, err := h.Auth.SignIn(r.Context(), auth.SignInRequest{Login: f.Login, Password: password,
		IP: principal.ClientIP(r), Partial: true})
	if err != nil {
		status, msg := signInMessage(err)
		if status == 0 {
			return err
		}
		return h.loginFailed(w, r, f, status, msg)
	}
	if old := principal.From(r.Context()); old != nil && old.Session != nil {
		if err := h.Auth.SignOut(r.Context(), *old.Session, old.User, old.IP); err != nil {
			h.Log.Warn("ui: end previous session", "err", err)
		}
	}
	h.setSession(w, res)
	dest := stagePath(res.Session.Stage)
	if res.Session.Stage == auth.StageOK {
		dest = f.Next
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
	return nil
}

// signInMessage turns an expected sign-in error into a status and a
// message; status 0 means the error is unexpected.
func signInMessage(err error) (int, string) {
	var locked *auth.LockedError
	switch {
	case errors.As(err, &locked):
		return http.StatusLocked, "This account is locked after too many failed attempts. Try again after " +
			locked.Until.UTC().Format("15:04 UTC on 2 Jan 2006") + ", or ask your administrator."
	case errors.Is(err, auth.ErrInvalidCredentials):
		return http.StatusUnauthorized, "The login or password is not correct."
	case errors.Is(err, auth.ErrUseSSO):
		return http.StatusForbidden, "This account signs in with single sign-on (SAML 2.0), not a password: open Call Recording " +
			"from your service provider's portal (the Call Recording link on your Cloud Services Portal dashboard)."
	case errors.Is(err, auth.ErrNoAccess):
		return http.StatusForbidden, "This account may not use the web portal: it is inactive, past its valid-till date, " +
			"or its role or settings give no web portal access. Ask your administrator."
	case errors.Is(err, auth.ErrInvalidCode):
		return http.StatusUnauthorized, "That code is not valid."
	case errors.As(err, new(*auth.RateLimitedError)):
		return http.StatusTooManyRequests, "Too many attempts from here or for this login. Wait a minute and try again."
	case errors.Is(err, auth.ErrBusy):
		return http.StatusTooManyRequests, "The service is busy signing other people in. Try again in a moment."
	}
	return 0, ""
}

func (h *Handler) loginFailed(w http.ResponseWriter, r *http.Request, f loginView, status int, msg string) error {
	h.render(w, r, status, "login", view{Title: "Sign in", Public: true, Data: h.withIdPs(r, f), Error: msg})
	return nil
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	idpLogout := ""
	if h.SSO != nil && p.Session.SAML.IdPID != "" {
		var err error
		if idpLogout, err = h.SSO.LogoutURL(r.Context(), *p.Session); err != nil {
			h.Log.Warn("ui: SAML logout request", "err", err) // the local session ends anyway
		}
	}
	if err := h.Auth.SignOut(r.Context(), *p.Session, p.User, p.IP); err != nil {
		return err
	}
	api.ClearSessionCookie(w, h.SecureCookies)
	if idpLogout != "" {
		h.samlLogout(w, r, idpLogout)
		return nil
	}
	h.redirectFlash(w, r, "/login", "signed_out")
	return nil
}
