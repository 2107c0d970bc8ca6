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
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// The catalogue of API errors.
var (
	errUnauthorized = &Error{http.StatusUnauthorized, "unauthorized", "sign in or send a valid bearer token", nil}
	errInvalidCreds = &Error{http.StatusUnauthorized, "invalid_credentials", "login, password or code is wrong", nil}
	errTwoFactor    = &Error{http.StatusForbidden, "two_factor_required", "this account uses 2-step verification: send the 6-digit code as \"code\"", nil}
	errForbidden    = &Error{http.StatusForbidden, "forbidden", "your role does not allow this", nil}
	errNoAccess     = &Error{http.StatusForbidden, "forbidden", "this account may not sign in to the portal: it is inactive, expired, or has no web portal access", nil}
	errCSRF         = &Error{http.StatusForbidden, "csrf_failed", "missing or wrong X-CSRF-Token header", nil}
	errStage        = &Error{http.StatusForbidden, "sign_in_incomplete", "finish signing in first (2-step verification or terms)", nil}
	errNotFound     = &Error{http.StatusNotFound, "not_found", "no such resource", nil}
	errDefaultGroup = &Error{http.StatusConflict, "conflict", "the default group holds every user: it cannot be renamed, edited, deleted or left", nil}
	errLicense      = &Error{http.StatusConflict, "license_unavailable", "no license of that type is left in the tenant's pool", nil}
	errExpired      = &Error{http.StatusBadRequest, "invalid_token", "the link has expired or was already used", nil}
	errInvalidCode  = &Error{http.StatusBadRequest, "invalid_code", "the code is not valid: check the authenticator app's clock", nil}
)

func validationFailed(fields map[string]string) *Error {
	return &Error{http.StatusBadRequest, "validation_failed", "some fields are not valid", fields}
}

// toAPIError maps service errors to answers; unknown errors are internal.
func toAPIError(err error) *Error {
	var ae *Error
	var verrs validate.Errors
	var locked *auth.LockedError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &verrs):
		return validationFailed(verrs)
	case errors.As(err, &locked):
		return &Error{http.StatusLocked, "account_locked", "too many failed attempts: try again after " + locked.Until.Format(time.RFC3339), nil}
	case errors.Is(err, auth.ErrPasswordRule):
		return validationFailed(map[string]string{"password": err.Error()})
	case errors.Is(err, account.ErrNotFound), errors.Is(err, store.ErrNotFound):
		return errNotFound
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
		ae = &Error{http.StatusInternalServerError, "internal", "something went wrong on our side; it has been logged", nil}
	}
	var body errorBody
	body.Error.Code, body.Error.Message, body.Error.Fields = ae.Code, ae.Message, ae.Fields
	if ae.Status == http.StatusLocked {
		w.Header().Set("Retry-After", strconv.Itoa(60))
	}
	writeJSON(w, ae.Status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
