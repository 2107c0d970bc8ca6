package msemu

import (
	"crypto/rand"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"slices"
)

//go:embed templates/*.html
var templateFS embed.FS

func parsePages() (*template.Template, error) {
	t, err := template.New("").Funcs(template.FuncMap{
		"initials": initials,
	}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("msemu: parse templates: %w", err)
	}
	return t, nil
}

// pageData feeds the sign-in, consent and admin center templates.
type pageData struct {
	Title            string
	Base             string
	Flow             *authFlow
	App              *appRegistration
	Accounts         []*user
	User             *user
	Username         string
	Error            string
	Notice           string
	Permissions      []permissionLine
	CanConsentForOrg bool
	AdminConsent     bool
	Tenant           *tenant
	Data             any
}

// permissionLine is one line of a consent page or the My Apps page.
type permissionLine struct {
	Resource string
	Text     string
	Name     string
}

func (e *Emulator) pageData(f *authFlow, edit func(*pageData)) *pageData {
	d := &pageData{Base: e.opts.BaseURL, Flow: f}
	if f != nil {
		d.App = e.w.Apps[f.ClientID]
		d.AdminConsent = f.Kind == flowAdminConsent
	}
	if edit != nil {
		edit(d)
	}
	return d
}

func (e *Emulator) renderPage(w http.ResponseWriter, name string, d *pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := e.pages.ExecuteTemplate(w, name, d); err != nil {
		e.log.Error("msemu: render page", "page", name, "err", err)
	}
}

// renderError shows an AADSTS error page, as Microsoft does when it cannot
// trust the redirect URI.
func (e *Emulator) renderError(w http.ResponseWriter, a *aadError) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(a.status)
	d := &pageData{Base: e.opts.BaseURL, Error: fmt.Sprintf("AADSTS%d: %s", a.code, a.desc), Title: a.err}
	if err := e.pages.ExecuteTemplate(w, "error", d); err != nil {
		e.log.Error("msemu: render error page", "err", err)
	}
}

func initials(name string) string {
	out := []rune{}
	prev := ' '
	for _, r := range name {
		if prev == ' ' && r != ' ' && len(out) < 2 {
			out = append(out, r)
		}
		prev = r
	}
	return string(out)
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// sessionUserIDs lists the accounts signed in on this browser.
func (e *Emulator) sessionUserIDs(r *http.Request) []string {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	return e.w.Sessions[c.Value]
}

func (e *Emulator) sessionAccounts(r *http.Request) []*user {
	var out []*user
	for _, id := range e.sessionUserIDs(r) {
		if _, u := e.w.findUser(id); u != nil {
			out = append(out, u)
		}
	}
	return out
}

func (e *Emulator) addSessionAccount(w http.ResponseWriter, r *http.Request, userID string) {
	sid := ""
	if c, err := r.Cookie(sessionCookie); err == nil && e.w.Sessions[c.Value] != nil {
		sid = c.Value
	}
	if sid == "" {
		sid = randomToken(24)
	}
	if !slices.Contains(e.w.Sessions[sid], userID) {
		e.w.Sessions[sid] = append(e.w.Sessions[sid], userID)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sid, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// signOut forgets every account of this browser.
func (e *Emulator) signOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		e.mu.Lock()
		delete(e.w.Sessions, c.Value)
		e.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1})
	if u := r.URL.Query().Get("post_logout_redirect_uri"); u != "" {
		http.Redirect(w, r, u, http.StatusFound)
		return
	}
	http.Redirect(w, r, e.opts.BaseURL+"/admin", http.StatusFound)
}
