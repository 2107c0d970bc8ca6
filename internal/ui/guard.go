package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"callrec/internal/api"
	"callrec/internal/auth"
	"callrec/internal/principal"
)

// maxFormBytes bounds every form body; the largest portal form (a user
// profile, a bulk edit of many users) is a few kilobytes. CSV import is the
// one exception, bounded by maxUploadBytes.
const (
	maxFormBytes   = 64 << 10
	maxUploadBytes = 5 << 20
)

// formCookie carries the token that protects the public forms (sign-in,
// forgot and reset password) before there is a session to hold one.
const formCookie = "callrec_form"

type pageFunc func(w http.ResponseWriter, r *http.Request, p *principal.Principal) error

// public wraps a page anyone may use. Its posts are bounded and must carry
// the pre-session form token.
func (h *Handler) public(fn func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			if err := parseForm(w, r, maxFormBytes); err != nil {
				h.fail(w, r, err)
				return
			}
			c, err := r.Cookie(formCookie)
			if err != nil || !auth.SameToken(r.PostForm.Get("csrf_token"), c.Value) {
				h.fail(w, r, errCSRF)
				return
			}
		}
		if err := fn(w, r); err != nil {
			h.fail(w, r, err)
		}
	}
}

func parseForm(w http.ResponseWriter, r *http.Request, limit int64) error {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		err = r.ParseMultipartForm(limit)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return errTooLarge
		}
		return errBadForm
	}
	return nil
}

// formToken returns the visitor's pre-session form token, setting the
// cookie on first use.
func formToken(w http.ResponseWriter, r *http.Request, secure bool) string {
	if c, err := r.Cookie(formCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	tok := auth.RandomToken("")
	http.SetCookie(w, &http.Cookie{Name: formCookie, Value: tok, Path: "/", HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteStrictMode})
	return tok
}

// stagePath is the page where a session in stage continues.
func stagePath(stage string) string {
	switch stage {
	case auth.StageMFA:
		return "/two-factor"
	case auth.StageEnroll:
		return "/two-factor/setup"
	case auth.StageTerms:
		return "/terms"
	}
	return "/"
}

func loginURL(next string) string {
	if next = safeNext(next); next == "/" {
		return "/login"
	}
	return "/login?next=" + url.QueryEscape(next)
}

// safeNext keeps a post-sign-in redirect on this site: a local absolute
// path, never "//host" or "/\host" which browsers treat as another origin.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return next
}

// Flash messages are fixed texts named by a key kept in a short cookie,
// so a cookie can never inject text into a page.
const flashCookie = "callrec_flash"

// flashMessage is the text of a flash key; unknown keys show nothing.
func flashMessage(key string) string {
	switch key {
	case "signed_out":
		return "You are signed out."
	case "password_reset":
		return "Your password was changed. Sign in with the new password."
	case "token_revoked":
		return "The token was revoked. Clients that used it can no longer call the API."
	case "tenant_switched":
		return "You are now acting in the selected tenant."
	case "provider_view":
		return "You are back in the provider view."
	case "terms_accepted":
		return "Thank you: the terms and conditions are accepted."
	}
	return adminFlash(key)
}

// adminFlash is the text of an Administration flash key.
func adminFlash(key string) string {
	switch key {
	case "user_created":
		return "The user was added."
	case "user_saved":
		return "The user's profile was saved."
	case "user_deleted":
		return "The user was deleted. Their recordings stay."
	case "user_activated":
		return "The user is active again."
	case "user_deactivated":
		return "The user is deactivated and signed out everywhere."
	case "password_set":
		return "The new password is set; the user was signed out everywhere."
	case "two_factor_reset":
		return "2-step verification was reset: the user enrols again at next sign-in."
	case "bulk_applied":
		return "Bulk Edit applied the changes to every selected user."
	case "import_done":
		return "The import finished: every row was applied."
	case "group_created":
		return "The group was added."
	case "group_saved":
		return "The group was saved."
	case "group_deleted":
		return "The group was deleted. Its members are still users."
	case "member_added":
		return "The user was added to the group."
	case "member_removed":
		return "The user was removed from the group."
	case "settings_saved":
		return "The settings were saved."
	case "tenant_created":
		return "The tenant was created with its default group."
	case "tenant_saved":
		return "The tenant was saved."
	case "source_created":
		return "The SIPREC source was added: its calls are recorded from now on."
	case "source_saved":
		return "The SIPREC source was saved."
	case "calls_assigned":
		return "The past Unassigned calls of that address now belong to the user."
	case "source_deleted":
		return "The SIPREC source was deleted. Its recorded calls stay."
	case "idp_saved":
		return "The identity provider was saved."
	case "idp_deleted":
		return "The identity provider was deleted. Sessions it started stay until they end."
	case "topic_saved":
		return "The topic was saved. Calls analysed from now on are matched against it."
	case "topic_deleted":
		return "The topic was deleted with its counts."
	case "redaction_saved":
		return "Redaction was saved. It applies to calls transcribed from now on."
	case "summaries_saved":
		return "The call summary settings were saved."
	case "speech_saved":
		return "The speech engine settings were saved. Queued calls are transcribed with them."
	}
	return brandFlash(key)
}

func setFlash(w http.ResponseWriter, key string, secure bool) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: key,
		Path: "/", MaxAge: 60, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
}

func takeFlash(w http.ResponseWriter, r *http.Request, secure bool) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteLaxMode})
	return flashMessage(c.Value)
}

// redirectFlash sends the browser to path with a flash message.
func (h *Handler) redirectFlash(w http.ResponseWriter, r *http.Request, path, key string) {
	setFlash(w, key, h.SecureCookies)
	http.Redirect(w, r, path, http.StatusSeeOther)
}

func (h *Handler) setSession(w http.ResponseWriter, res auth.SignedIn) {
	api.SetSessionCookie(w, res.Token, res.Session.ExpiresAt, h.SecureCookies)
}
