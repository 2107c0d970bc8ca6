package ui

import (
	"bytes"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"callrec/internal/account"
	"callrec/internal/auth"
	"callrec/internal/brand"
	"callrec/internal/principal"
	"callrec/internal/recordings"
	"callrec/internal/roles"
	"callrec/internal/store"
)

//go:embed templates static
var assets embed.FS

// mustParsePages parses every page with the shared layouts; a broken
// template is a programming error caught by any test.
func mustParsePages() map[string]*template.Template {
	funcs := template.FuncMap{
		"roleName":     roleName,
		"licenseName":  licenseName,
		"licenseShort": licenseShort,
		"percent":      percent,
		"when":         func(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") },
		"dataURI":      dataURI,
		"initial":      initial,
		"has":          func(p *principal.Principal, perm string) bool { return p != nil && p.Can(roles.Permission(perm)) },
		"day":          day,
		"contains":     slices.Contains[[]string],
		"query":        withQuery,
		"fieldLabel":   fieldLabel,
		"objectType":   objectTypeLabel,
		"objectTypes":  func() []option { return objectTypes },
		"inc":          func(i int) int { return i + 1 },
		"pair":         func(e map[string]string, f string) fieldRef { return fieldRef{E: e, F: f} },
		"sentence":     sentence,
		"roleCell":     roleCell,
		"size":         byteSize,
	}
	base := template.Must(template.New("").Funcs(funcs).ParseFS(assets, "templates/layout/*.html"))
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := make(map[string]*template.Template, len(names))
	for _, n := range names {
		t := template.Must(template.Must(base.Clone()).ParseFS(assets, n))
		pages[strings.TrimSuffix(path.Base(n), ".html")] = t
	}
	return pages
}

// view is what every page template receives.
type view struct {
	Title     string
	Brand     brand.Brand // the provider's brand, on every page
	Nav       string      // the navigation entry to highlight
	Sub       string      // the Administration entry to highlight
	P         *principal.Principal
	CSRF      string
	Flash     string
	Tenant    *store.Tenant  // the tenant being acted in, if any
	Tenants   []store.Tenant // the provider's tenant switcher
	Role      string
	Public    bool
	Data      any
	Error     string
	RequestID string
}

// render writes a page with the given status. Pages that need a signed-in
// layout get the caller, acting tenant and (for the provider) the tenants.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	t, ok := h.pages[name]
	if !ok {
		panic("ui: no page " + name)
	}
	v.P = principal.From(r.Context())
	v.Brand = h.Brand.Current(r.Context())
	if v.P != nil && v.P.Session != nil {
		v.CSRF = v.P.Session.CSRFToken
		v.Role = roleName(v.P.User.Role)
		if !v.Public && v.P.Session.Stage == "ok" {
			h.layoutData(r, &v)
		}
	}
	if v.Public || v.P == nil || v.P.Session == nil {
		v.Public = true
		v.CSRF = formToken(w, r, h.SecureCookies)
	}
	if v.Flash == "" {
		v.Flash = takeFlash(w, r, h.SecureCookies)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name+".html", v); err != nil {
		h.Log.Error("ui: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

func (h *Handler) layoutData(r *http.Request, v *view) {
	ctx := r.Context()
	if v.P.TenantID != "" {
		if t, err := h.Accounts.Tenant(ctx, v.P, v.P.TenantID); err == nil {
			v.Tenant = &t
		}
	}
	ts, err := h.Accounts.Tenants(ctx, v.P) // the provider's switcher
	if err != nil && !shownOnlyTo(err) {
		h.Log.Error("ui: tenants for switcher", "err", err)
	}
	v.Tenants = ts
}

// pageError is an error with a status and a message safe to show.
type pageError struct {
	Status  int
	Title   string
	Message string
	Href    string // where the page's button leads; the home page if empty
	Action  string
}

func (e *pageError) Error() string { return fmt.Sprintf("ui: %d %s", e.Status, e.Title) }

var (
	errCSRF = &pageError{Status: http.StatusForbidden, Title: "This form has expired",
		Message: "The page you sent the form from was too old or came from another site, so nothing was changed. Go back, reload the page and try again."}
	errTooLarge = &pageError{Status: http.StatusRequestEntityTooLarge, Title: "Form too large",
		Message: "The form was larger than this portal accepts. Nothing was changed."}
	errBadForm = &pageError{Status: http.StatusBadRequest, Title: "Bad form",
		Message: "The portal could not read the form. Nothing was changed."}
	errNotFound = &pageError{Status: http.StatusNotFound, Title: "Page not found",
		Message: "There is nothing at this address. Check the link, or go back to the home page."}
	errForbidden = &pageError{Status: http.StatusForbidden, Title: "Not allowed",
		Message: "Your role does not give access to this page."}
)

// fail shows err as a page; unexpected errors are logged and shown as a
// generic message.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var pe *pageError
	if !errors.As(err, &pe) {
		h.Log.Error("ui: request failed", "path", r.URL.Path, "err", err)
		pe = &pageError{Status: http.StatusInternalServerError, Title: "Something went wrong",
			Message: "The portal could not finish this request. It has been logged; please try again in a moment."}
	}
	h.render(w, r, pe.Status, "error", view{Title: pe.Title, Data: pe, Public: principal.From(r.Context()) == nil})
}

// serviceErr maps the services' refusals to pages: another tenant's
// object, or one out of the caller's scope, is not found; a missing
// permission is forbidden; a tenant page outside a tenant asks for one.
func serviceErr(err error) error {
	switch {
	case errors.Is(err, account.ErrNotFound), errors.Is(err, recordings.ErrNotFound), errors.Is(err, store.ErrNotFound):
		return errNotFound
	case errors.Is(err, account.ErrForbidden), errors.Is(err, recordings.ErrForbidden), errors.Is(err, auth.ErrForbidden):
		return errForbidden
	case errors.Is(err, account.ErrNoTenant):
		return errPickTenant
	}
	return err
}

// shownOnlyTo reports whether err only says that the caller may not see a
// part of a page (which the page then leaves out).
func shownOnlyTo(err error) bool {
	return errors.Is(err, account.ErrForbidden) || errors.Is(err, account.ErrNoTenant) || errors.Is(err, recordings.ErrForbidden)
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.fail(w, r, errNotFound)
}

// dataURI embeds an image the server made (the enrolment QR code) in the
// page; the CSP allows data: images only.
func dataURI(mime string, b []byte) template.URL {
	return template.URL("data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(b))
}

// initial is the first letter of a name, for the avatar.
func initial(name string) string {
	for _, r := range name {
		return strings.ToUpper(string(r))
	}
	return "?"
}

func roleName(id string) string {
	if r, ok := roles.Get(id); ok {
		return r.Name
	}
	return id
}

func licenseName(t string) string {
	switch t {
	case "call_recording":
		return "Call recording"
	case "screen_recording":
		return "Screen recording"
	case "live_monitoring":
		return "Live monitoring"
	case "agent_evaluation":
		return "Agent evaluation"
	case "speech_analytics":
		return "Speech analytics"
	}
	return t
}

// licenseShort is a license type's name for narrow table cells.
func licenseShort(t string) string {
	switch t {
	case "call_recording":
		return "Recording"
	case "screen_recording":
		return "Screen"
	case "live_monitoring":
		return "Live"
	case "agent_evaluation":
		return "Evaluation"
	case "speech_analytics":
		return "Speech"
	}
	return t
}

// percent is used/total as a whole percentage for usage bars, 0 when the
// pool is empty.
func percent(used, total int) int {
	if total <= 0 {
		return 0
	}
	return min(100, used*100/total)
}
