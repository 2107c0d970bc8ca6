package ui

import (
	"errors"
	"net/http"
	"strings"

	"callrec/internal/api"
	"callrec/internal/auth"
	"callrec/internal/principal"
)

func (h *Handler) codeForm(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	h.render(w, r, http.StatusOK, "code", view{Title: "2-step verification"})
	return nil
}

func (h *Handler) verifyCode(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	code := strings.TrimSpace(r.PostForm.Get("code"))
	if code == "" || len(code) > 32 {
		h.render(w, r, http.StatusBadRequest, "code", view{Title: "2-step verification", Error: "Enter the 6-digit code or a recovery code."})
		return nil
	}
	sess, err := h.Auth.VerifySecondFactor(r.Context(), *p.Session, code, p.IP)
	var locked *auth.LockedError
	switch {
	case errors.As(err, &locked):
		// The service ended the session: start over at sign-in.
		api.ClearSessionCookie(w, h.SecureCookies)
		_, msg := signInMessage(err)
		h.render(w, r, http.StatusLocked, "login", view{Title: "Sign in", Public: true, Data: loginView{Login: p.User.Login, Next: "/"}, Error: msg})
		return nil
	case errors.Is(err, auth.ErrInvalidCode):
		h.render(w, r, http.StatusUnauthorized, "code", view{Title: "2-step verification",
			Error: "That code is not valid. Check that your device's clock is right, or use one of your recovery codes."})
		return nil
	case err != nil:
		return err
	}
	http.Redirect(w, r, stagePath(sess.Stage), http.StatusSeeOther)
	return nil
}

// setupView is the enrolment page's state.
type setupView struct {
	Enforced bool   // the session may not continue without enrolling
	QRPNG    []byte // the otpauth URL as a QR code, only right after Begin
	Secret   string // grouped for typing
	Codes    []string
	Next     string
}

func (h *Handler) setupIntro(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	if p.User.TOTPEnabled {
		http.Redirect(w, r, "/account/security", http.StatusSeeOther)
		return nil
	}
	h.render(w, r, http.StatusOK, "setup", view{Title: "Set up 2-step verification", Nav: "account",
		Data: setupView{Enforced: p.Session.Stage == auth.StageEnroll}})
	return nil
}

func (h *Handler) setupBegin(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	key, err := h.Auth.BeginEnrollment(r.Context(), p.User)
	if errors.Is(err, auth.ErrStage) {
		http.Redirect(w, r, "/account/security", http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "setup", view{Title: "Set up 2-step verification", Nav: "account",
		Data: setupView{Enforced: p.Session.Stage == auth.StageEnroll, QRPNG: key.QRPNG, Secret: groupSecret(key.Secret)}})
	return nil
}

func (h *Handler) setupConfirm(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	code := strings.TrimSpace(r.PostForm.Get("code"))
	enforced := p.Session.Stage == auth.StageEnroll
	codes, err := h.Auth.ConfirmEnrollment(r.Context(), p.Session, p.User.ID, code, p.IP)
	switch {
	case errors.Is(err, auth.ErrInvalidCode):
		secret, err := h.Auth.PendingSecret(p.User)
		if err != nil {
			return err
		}
		h.render(w, r, http.StatusBadRequest, "setup", view{Title: "Set up 2-step verification", Nav: "account",
			Error: "That code is not valid. Enter the 6-digit code your app shows now, and check that your device's clock is right.",
			Data:  setupView{Enforced: enforced, Secret: groupSecret(secret)}})
		return nil
	case errors.Is(err, auth.ErrStage):
		http.Redirect(w, r, "/two-factor/setup", http.StatusSeeOther)
		return nil
	case err != nil:
		return err
	}
	next := "/account/security"
	if enforced {
		next = stagePath(p.Session.Stage)
	}
	h.render(w, r, http.StatusOK, "codes", view{Title: "Your recovery codes", Nav: "account",
		Data: setupView{Codes: codes, Next: next}})
	return nil
}

func (h *Handler) regenerateCodes(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	codes, err := h.Auth.RegenerateRecoveryCodes(r.Context(), p.User, p.IP)
	if errors.Is(err, auth.ErrStage) {
		http.Redirect(w, r, "/two-factor/setup", http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, "codes", view{Title: "Your new recovery codes", Nav: "account",
		Data: setupView{Codes: codes, Next: "/account/security"}})
	return nil
}

// groupSecret splits a base32 secret in groups of four for typing.
func groupSecret(s string) string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}
