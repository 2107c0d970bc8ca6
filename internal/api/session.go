package api

import (
	"net/http"
	"time"

	"callrec/internal/auth"
	"callrec/internal/principal"
)

type signInBody struct {
	Login    string `json:"login"`
	Password string `json:"password"`
	Code     string `json:"code"`
}

type sessionAnswer struct {
	User      userOut `json:"user"`
	CSRFToken string  `json:"csrf_token"`
	Stage     string  `json:"stage"`
}

func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) error {
	var b signInBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	if len(b.Login) > 254 || len(b.Password) > 256 || len(b.Code) > 32 {
		return validationFailed(map[string]string{"body": "login, password or code is too long"})
	}
	res, err := h.Auth.SignIn(r.Context(), auth.SignInRequest{Login: b.Login, Password: b.Password, Code: b.Code, IP: principal.ClientIP(r)})
	if err != nil {
		return err
	}
	SetSessionCookie(w, res.Token, res.Session.ExpiresAt, h.SecureCookies)
	writeJSON(w, http.StatusOK, sessionAnswer{User: userJSON(res.User), CSRFToken: res.Session.CSRFToken, Stage: res.Session.Stage})
	return nil
}

// SetSessionCookie sets the portal session cookie: HttpOnly, SameSite=Lax,
// Secure behind https.
func SetSessionCookie(w http.ResponseWriter, token string, expires time.Time, secure bool) {
	http.SetCookie(w, &http.Cookie{Name: principal.CookieName, Value: token, Path: "/", Expires: expires,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
}

// ClearSessionCookie removes the session cookie.
func ClearSessionCookie(w http.ResponseWriter, secure bool) {
	http.SetCookie(w, &http.Cookie{Name: principal.CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
}

func (h *Handler) signOut(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	if p.Session == nil {
		return validationFailed(map[string]string{"session": "bearer tokens are revoked with DELETE /api/v1/tokens/{id}"})
	}
	if err := h.Auth.SignOut(r.Context(), *p.Session, p.User, p.IP); err != nil {
		return err
	}
	ClearSessionCookie(w, h.SecureCookies)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type meAnswer struct {
	User        userOut  `json:"user"`
	TenantID    string   `json:"tenant_id"`
	Stage       string   `json:"stage"`
	Permissions []string `json:"permissions"`
	CSRFToken   string   `json:"csrf_token,omitempty"`
}

func (h *Handler) me(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	a := meAnswer{User: userJSON(p.User), TenantID: p.TenantID, Stage: auth.StageOK, Permissions: []string{}}
	if p.Session != nil {
		a.Stage, a.CSRFToken = p.Session.Stage, p.Session.CSRFToken
	}
	for _, perm := range permissionsOf(p) {
		a.Permissions = append(a.Permissions, string(perm))
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

type codeBody struct {
	Code string `json:"code"`
}

func (h *Handler) verifySecondFactor(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	if p.Session == nil {
		return errStage // a bearer token has no sign-in to complete
	}
	var b codeBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	sess, err := h.Auth.VerifySecondFactor(r.Context(), *p.Session, b.Code, p.IP)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"stage": sess.Stage})
	return nil
}

type enrollAnswer struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
	QRPNG      []byte `json:"qr_png"`
}

func (h *Handler) beginEnrollment(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	key, err := h.Auth.BeginEnrollment(r.Context(), p.User)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, enrollAnswer{Secret: key.Secret, OTPAuthURL: key.URL, QRPNG: key.QRPNG})
	return nil
}

func (h *Handler) confirmEnrollment(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var b codeBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	codes, err := h.Auth.ConfirmEnrollment(r.Context(), p.Session, p.User.ID, b.Code, p.IP)
	if err != nil {
		return err
	}
	stage := auth.StageOK
	if p.Session != nil {
		stage = p.Session.Stage
	}
	writeJSON(w, http.StatusOK, map[string]any{"recovery_codes": codes, "stage": stage})
	return nil
}

func (h *Handler) regenerateRecoveryCodes(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	codes, err := h.Auth.RegenerateRecoveryCodes(r.Context(), p.User, p.IP)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"recovery_codes": codes})
	return nil
}

type termsBody struct {
	Version int `json:"version"`
}

func (h *Handler) acceptTerms(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var b termsBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	if err := h.Auth.AcceptTerms(r.Context(), p.Session, p.User, b.Version, p.IP); err != nil {
		if err == auth.ErrStage {
			return validationFailed(map[string]string{"version": "not the current terms version"})
		}
		return err
	}
	stage := auth.StageOK
	if p.Session != nil {
		stage = p.Session.Stage
	}
	writeJSON(w, http.StatusOK, map[string]string{"stage": stage})
	return nil
}

type tenantPick struct {
	TenantID string `json:"tenant_id"`
}

func (h *Handler) switchTenant(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var b tenantPick
	if err := decode(w, r, &b); err != nil {
		return err
	}
	if p.Session == nil {
		return validationFailed(map[string]string{"tenant_id": "API clients pick a tenant per request with X-Tenant-ID"})
	}
	if err := h.Auth.SetActingTenant(r.Context(), *p.Session, p.User, b.TenantID, p.IP); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type resetRequestBody struct {
	Login string `json:"login"`
}

func (h *Handler) requestReset(w http.ResponseWriter, r *http.Request) error {
	var b resetRequestBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	if b.Login == "" || len(b.Login) > 254 {
		return validationFailed(map[string]string{"login": "required"})
	}
	if err := h.Auth.RequestPasswordReset(r.Context(), b.Login, principal.ClientIP(r)); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"message": "if the login exists and has an email address, a reset link is on its way"})
	return nil
}

type resetConfirmBody struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

func (h *Handler) confirmReset(w http.ResponseWriter, r *http.Request) error {
	var b resetConfirmBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	if err := h.Auth.ResetPassword(r.Context(), b.Token, b.Password, principal.ClientIP(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
