package provportal

import (
	"embed"
	"html/template"
	"net/http"
	"sort"
	"strings"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))

var totpOpts = totp.ValidateOpts{Period: 30, Skew: 1, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

type view struct {
	Title    string
	Error    string
	Notice   string
	Account  *Account
	CSRF     string
	Secret   string
	OTPURL   string
	Holders  []Holder
	Holder   *Holder
	Connect  bool
	LastSync string
	SyncErr  string
	Terms    int
}

func (p *Portal) render(w http.ResponseWriter, status int, name string, v view) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, name, v); err != nil {
		p.opt.Log.Error("provider portal: render", "page", name, "err", err)
	}
}

func (p *Portal) home(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
}

func (p *Portal) signInPage(w http.ResponseWriter, r *http.Request) {
	p.render(w, http.StatusOK, "signin", view{Title: "Sign in"})
}

func (p *Portal) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	a, ok := p.checkPassword(r.PostFormValue("username"), r.PostFormValue("password"))
	if !ok {
		p.render(w, http.StatusUnauthorized, "signin", view{Title: "Sign in", Error: "The username or password is not correct."})
		return
	}
	p.mu.Lock()
	p.startSession(w, a)
	p.mu.Unlock()
	http.Redirect(w, r, "/mfa", http.StatusSeeOther)
}

// stagePath is where a session in a stage belongs.
func stagePath(stage string) string {
	switch stage {
	case stageMFA, stageEnroll:
		return "/mfa"
	case stageTerms:
		return "/terms"
	}
	return "/dashboard"
}

// at returns the session if it is in one of the stages, else sends the
// browser where it belongs and returns nil.
func (p *Portal) at(w http.ResponseWriter, r *http.Request, stages ...string) (*session, *account) {
	s, a := p.current(r)
	if s == nil || a == nil {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return nil, nil
	}
	for _, st := range stages {
		if s.stage == st {
			if r.Method == http.MethodPost && r.PostFormValue("csrf") != s.csrf {
				http.Error(w, "The form expired; go back and try again.", http.StatusForbidden)
				return nil, nil
			}
			return s, a
		}
	}
	http.Redirect(w, r, stagePath(s.stage), http.StatusSeeOther)
	return nil, nil
}

func (p *Portal) mfaPage(w http.ResponseWriter, r *http.Request) {
	s, a := p.at(w, r, stageMFA, stageEnroll)
	if s == nil {
		return
	}
	p.render(w, http.StatusOK, "mfa", p.mfaView(s, a, ""))
}

func (p *Portal) mfaView(s *session, a *account, msg string) view {
	v := view{Title: "Multi-factor authentication", CSRF: s.csrf, Error: msg, Account: &a.Account}
	if s.stage == stageEnroll {
		p.mu.Lock()
		if a.pendingSecret == "" {
			key, err := totp.Generate(totp.GenerateOpts{Issuer: "Provider Portal (emulated)", AccountName: a.Login})
			if err == nil {
				a.pendingSecret = key.Secret()
			}
		}
		v.Secret = a.pendingSecret
		v.OTPURL = "otpauth://totp/Provider%20Portal:" + a.Login + "?secret=" + a.pendingSecret + "&issuer=Provider%20Portal"
		p.mu.Unlock()
	}
	return v
}

func (p *Portal) mfa(w http.ResponseWriter, r *http.Request) {
	s, a := p.at(w, r, stageMFA, stageEnroll)
	if s == nil {
		return
	}
	p.mu.Lock()
	secret := a.totpSecret
	if s.stage == stageEnroll {
		secret = a.pendingSecret
	}
	p.mu.Unlock()
	if secret == "" || !p.validCode(secret, r.PostFormValue("code")) {
		p.render(w, http.StatusUnauthorized, "mfa", p.mfaView(s, a, "That code is not correct. Enter the 6-digit code your authenticator shows now."))
		return
	}
	p.mu.Lock()
	if s.stage == stageEnroll {
		a.totpSecret, a.pendingSecret = secret, ""
	}
	s.stage = p.nextStage(a)
	p.mu.Unlock()
	http.Redirect(w, r, stagePath(s.stage), http.StatusSeeOther)
}

func (p *Portal) termsPage(w http.ResponseWriter, r *http.Request) {
	s, a := p.at(w, r, stageTerms)
	if s == nil {
		return
	}
	p.render(w, http.StatusOK, "terms", view{Title: "Terms and Conditions", CSRF: s.csrf, Account: &a.Account, Terms: p.opt.TermsVersion})
}

func (p *Portal) acceptTerms(w http.ResponseWriter, r *http.Request) {
	s, a := p.at(w, r, stageTerms)
	if s == nil {
		return
	}
	if r.PostFormValue("accept") != "yes" {
		p.render(w, http.StatusBadRequest, "terms", view{Title: "Terms and Conditions", CSRF: s.csrf, Account: &a.Account,
			Terms: p.opt.TermsVersion, Error: "Tick the box to accept the Terms and Conditions."})
		return
	}
	p.mu.Lock()
	a.termsVersion = p.opt.TermsVersion
	s.stage = stageOK
	p.mu.Unlock()
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
}

func (p *Portal) signOut(w http.ResponseWriter, r *http.Request) {
	s, _ := p.current(r)
	if s != nil && r.PostFormValue("csrf") == s.csrf {
		p.mu.Lock()
		delete(p.sessions, s.id)
		p.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1})
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

func (p *Portal) dashboard(w http.ResponseWriter, r *http.Request) {
	s, a := p.at(w, r, stageOK)
	if s == nil {
		return
	}
	p.render(w, http.StatusOK, "dashboard", view{Title: "Dashboard", CSRF: s.csrf, Account: &a.Account, Connect: p.mayConnect(a.Login)})
}

// adminView lists the synced Call Recording license holders.
func (p *Portal) adminView(s *session, a *account) view {
	p.mu.Lock()
	defer p.mu.Unlock()
	v := view{Title: "Admin Tools – Call Recording", CSRF: s.csrf, Account: &a.Account, SyncErr: p.syncErr}
	if !p.lastSync.IsZero() {
		v.LastSync = p.lastSync.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	for _, h := range p.holders {
		if h.holdsCallRecording() {
			v.Holders = append(v.Holders, *h)
		}
	}
	sort.Slice(v.Holders, func(i, j int) bool {
		return strings.ToLower(v.Holders[i].UserName) < strings.ToLower(v.Holders[j].UserName)
	})
	return v
}

func (p *Portal) admin(w http.ResponseWriter, r *http.Request) (*session, *account) {
	s, a := p.at(w, r, stageOK)
	if s == nil {
		return nil, nil
	}
	if !a.Admin {
		http.Error(w, "Admin Tools are for the organisation's administrators.", http.StatusForbidden)
		return nil, nil
	}
	return s, a
}

func (p *Portal) adminPage(w http.ResponseWriter, r *http.Request) {
	s, a := p.admin(w, r)
	if s == nil {
		return
	}
	v := p.adminView(s, a)
	v.Notice = r.URL.Query().Get("notice")
	p.render(w, http.StatusOK, "admin", v)
}

func (p *Portal) syncNow(w http.ResponseWriter, r *http.Request) {
	s, _ := p.admin(w, r)
	if s == nil {
		return
	}
	notice := "Synced with Call Recording."
	if err := p.Sync(r.Context()); err != nil {
		notice = "Sync failed: " + err.Error()
	}
	http.Redirect(w, r, "/admin/call-recording?notice="+urlQuery(notice), http.StatusSeeOther)
}

func (p *Portal) setAccess(w http.ResponseWriter, r *http.Request) {
	s, _ := p.admin(w, r)
	if s == nil {
		return
	}
	user := r.PostFormValue("user")
	on := r.PostFormValue("access_link") == "on"
	p.mu.Lock()
	h := p.holders[strings.ToLower(user)]
	if h != nil {
		h.AccessLink = on
	}
	p.mu.Unlock()
	if h == nil {
		http.Error(w, "No such license holder.", http.StatusNotFound)
		return
	}
	http.Redirect(w, r, "/admin/call-recording?notice="+urlQuery("Saved."), http.StatusSeeOther)
}
