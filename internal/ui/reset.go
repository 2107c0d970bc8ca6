package ui

import (
	"errors"
	"net/http"
	"strings"

	"callrec/internal/auth"
	"callrec/internal/principal"
)

// passwordRule is the guide's rule, shown beside every new-password field.
const passwordRule = "8 to 30 characters, with at least one capital letter, one digit and one special character (such as # ! ? or %)."

func (h *Handler) forgotForm(w http.ResponseWriter, r *http.Request) error {
	h.render(w, r, http.StatusOK, "forgot", view{Title: "Forgot password", Public: true})
	return nil
}

// forgot always answers the same, whether or not the login exists, so the
// page cannot be used to find logins.
func (h *Handler) forgot(w http.ResponseWriter, r *http.Request) error {
	login := strings.TrimSpace(r.PostForm.Get("login"))
	if login == "" || len(login) > 254 {
		h.render(w, r, http.StatusBadRequest, "forgot", view{Title: "Forgot password", Public: true, Error: "Enter your login."})
		return nil
	}
	if err := h.Auth.RequestPasswordReset(r.Context(), login, principal.ClientIP(r)); err != nil {
		h.Log.Error("ui: password reset request", "err", err)
	}
	h.render(w, r, http.StatusOK, "forgot", view{Title: "Forgot password", Public: true, Data: true})
	return nil
}

// resetView is the reset form's state.
type resetView struct {
	Token string
	Rule  string
	Done  bool
}

func (h *Handler) resetForm(w http.ResponseWriter, r *http.Request) error {
	tok := r.URL.Query().Get("token")
	if tok == "" || len(tok) > 200 {
		return h.resetExpired(w, r)
	}
	w.Header().Set("Referrer-Policy", "no-referrer")
	h.render(w, r, http.StatusOK, "reset", view{Title: "Choose a new password", Public: true, Data: resetView{Token: tok, Rule: passwordRule}})
	return nil
}

func (h *Handler) reset(w http.ResponseWriter, r *http.Request) error {
	v := resetView{Token: r.PostForm.Get("token"), Rule: passwordRule}
	pw, confirm := r.PostForm.Get("password"), r.PostForm.Get("confirm")
	fail := func(msg string) error {
		h.render(w, r, http.StatusBadRequest, "reset", view{Title: "Choose a new password", Public: true, Data: v, Error: msg})
		return nil
	}
	if v.Token == "" || len(v.Token) > 200 {
		return h.resetExpired(w, r)
	}
	if pw != confirm {
		return fail("The two passwords are not the same.")
	}
	err := h.Auth.ResetPassword(r.Context(), v.Token, pw, principal.ClientIP(r))
	switch {
	case errors.Is(err, auth.ErrPasswordRule):
		return fail("This password does not follow the rule: " + passwordRule)
	case errors.Is(err, auth.ErrExpired):
		return h.resetExpired(w, r)
	case err != nil:
		return err
	}
	h.redirectFlash(w, r, "/login", "password_reset")
	return nil
}

func (h *Handler) resetExpired(w http.ResponseWriter, r *http.Request) error {
	h.render(w, r, http.StatusBadRequest, "error", view{Title: "This link has expired", Public: true, Data: &pageError{
		Status: http.StatusBadRequest, Title: "This link has expired",
		Message: "Password reset links work once and for one hour. Ask for a new one on the Forgot password page.",
		Href:    "/forgot-password", Action: "Ask for a new link",
	}})
	return nil
}
