package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"callrec/internal/account"
	"callrec/internal/auth"
	"callrec/internal/store"
	"callrec/internal/validate"
)

// Error is an answer with a stable code, an HTTP status and a safe message.
type Error struct {
	Status  int
	Code    string
	Message string
	Fields  map[string]string
	// RetryAfter, when set, is sent as Retry-After (429, 423, 503).
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// The catalogue of API errors.
var (
	errUnauthorized = &Error{http.StatusUnauthorized, "unauthorized", "sign in or send a valid bearer token", nil, 0}
	errInvalidCreds = &Error{http.StatusUnauthorized, "invalid_credentials", "login, password or code is wrong", nil, 0}
	errTwoFactor    = &Error{http.StatusForbidden, "two_factor_required", "this account uses 2-step verification: send the 6-digit code as \"code\"", nil, 0}
	errForbidden    = &Error{http.StatusForbidden, "forbidden", "your role does not allow this", nil, 0}
	errNoAccess     = &Error{http.StatusForbidden, "forbidden", "this account may not sign in to the portal: it is inactive, expired, or has no web portal access", nil, 0}
	errUseSSO       = &Error{http.StatusForbidden, "sso_required", "this account signs in with single sign-on (SAML 2.0) through the service provider's portal, not a password", nil, 0}
	errCSRF         = &Error{http.StatusForbidden, "csrf_failed", "missing or wrong X-CSRF-Token header", nil, 0}
	errStage        = &Error{http.StatusForbidden, "sign_in_incomplete", "finish signing in first (2-step verification or terms)", nil, 0}
	errNotFound     = &Error{http.StatusNotFound, "not_found", "no such resource", nil, 0}
	errDefaultGroup = &Error{http.StatusConflict, "conflict", "the default group holds every user: it cannot be renamed, edited, deleted or left", nil, 0}
	errLicense      = &Error{http.StatusConflict, "license_unavailable", "no license of that type is left in the tenant's pool", nil, 0}
	errExpired      = &Error{http.StatusBadRequest, "invalid_token", "the link has expired or was already used", nil, 0}
	errInvalidCode  = &Error{http.StatusBadRequest, "invalid_code", "the code is not valid: check the authenticator app's clock", nil, 0}
)

func validationFailed(fields map[string]string) *Error {
	return &Error{http.StatusBadRequest, "validation_failed", "some fields are not valid", fields, 0}
}

// toAPIError maps service errors to answers; unknown errors are internal.
func toAPIError(err error) *Error {
	var ae *Error
	var verrs validate.Errors
	var locked *auth.LockedError
	var limited *auth.RateLimitedError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &verrs):
		return validationFailed(verrs)
	case errors.As(err, &locked):
		return &Error{Status: http.StatusLocked, Code: "account_locked", Message: "too many failed attempts: try again after " + locked.Until.Format(time.RFC3339),
			RetryAfter: time.Until(locked.Until)}
	case errors.As(err, &limited):
		return &Error{Status: http.StatusTooManyRequests, Code: "rate_limited", Message: "too many attempts from this client or for this login: slow down",
			RetryAfter: limited.RetryAfter}
	case errors.Is(err, auth.ErrBusy):
		return &Error{Status: http.StatusTooManyRequests, Code: "busy", Message: "too many sign-ins at once: try again in a moment", RetryAfter: time.Second}
	case errors.Is(err, auth.ErrPasswordRule):
		return validationFailed(map[string]string{"password": err.Error()})
	case errors.Is(err, account.ErrNotFound), errors.Is(err, store.ErrNotFound):
		return errNotFound
	case errors.Is(err, account.ErrForbidden):
		return errForbidden
	case errors.Is(err, account.ErrDefaultGroupFixed):
		return errDefaultGroup
	case errors.Is(err, account.ErrLicenseExhausted):
		return errLicense
	case errors.Is(err, store.ErrBadCursor):
		return validationFailed(map[string]string{"cursor": "malformed cursor"})
	case errors.Is(err, auth.ErrInvalidCredentials):
		return errInvalidCreds
	case errors.Is(err, auth.ErrTwoFactorRequired):
		return errTwoFactor
	case errors.Is(err, auth.ErrNoAccess):
		return errNoAccess
	case errors.Is(err, auth.ErrUseSSO):
		return errUseSSO
	case errors.Is(err, auth.ErrInvalidCode):
		return errInvalidCode
	case errors.Is(err, auth.ErrExpired):
		return errExpired
	case errors.Is(err, auth.ErrStage):
		return errStage
	}
	return nil
}

type errorBody struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields,omitempty"`
	} `json:"error"`
}

// writeError answers with the error's catalogue entry; anything unmapped is
// logged with its cause and answered as a 500 without details.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	ae := toAPIError(err)
	if ae == nil {
		log.Error("api: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		ae = &Error{http.StatusInternalServerError, "internal", "something went wrong on our side; it has been logged", nil, 0}
	}
	var body errorBody
	body.Error.Code, body.Error.Message, body.Error.Fields = ae.Code, ae.Message, ae.Fields
	if ae.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(max(1, ae.RetryAfter.Round(time.Second)/time.Second))))
	}
	writeJSON(w, ae.Status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
