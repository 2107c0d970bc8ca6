package msemu

import (
	_ "embed"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

//go:embed static/site.css
var siteCSS []byte

func (e *Emulator) css(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	_, _ = w.Write(siteCSS)
}

// adminFor returns the signed-in administrator of this browser, if any.
func (e *Emulator) adminFor(r *http.Request) (*tenant, *user) {
	for _, id := range e.sessionUserIDs(r) {
		if t, u := e.w.findUser(id); u != nil && u.isAdmin() {
			return t, u
		}
	}
	return nil, nil
}

// adminPage renders an admin center page, or the sign-in form when no
// administrator is signed in on this browser. Callers hold e.mu.
func (e *Emulator) adminPage(w http.ResponseWriter, r *http.Request, name, title string, fill func(*pageData, *tenant)) {
	t, u := e.adminFor(r)
	if u == nil {
		e.renderPage(w, "adminsignin", &pageData{Base: e.opts.BaseURL, Title: "Sign in", Notice: r.URL.Path})
		return
	}
	d := &pageData{Base: e.opts.BaseURL, Title: title, User: u, Tenant: t, Notice: r.URL.Query().Get("notice")}
	fill(d, t)
	e.renderPage(w, name, d)
}

func (e *Emulator) adminHome(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, e.opts.BaseURL+"/admin/users", http.StatusFound)
}

func (e *Emulator) adminSignIn(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "malformed form", http.StatusBadRequest)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	_, u := e.w.findUserByUPN(strings.TrimSpace(r.PostForm.Get("loginfmt")))
	if u == nil || u.Password != r.PostForm.Get("passwd") || !u.isAdmin() {
		e.renderPage(w, "adminsignin", &pageData{Base: e.opts.BaseURL, Title: "Sign in", Notice: r.PostForm.Get("next"),
			Error: "Your account or password is incorrect, or the account is not an administrator."})
		return
	}
	e.addSessionAccount(w, r, u.ID)
	next := r.PostForm.Get("next")
	if !strings.HasPrefix(next, "/admin") && !strings.HasPrefix(next, "/myapps") {
		next = "/admin/users"
	}
	http.Redirect(w, r, e.opts.BaseURL+next, http.StatusSeeOther)
}

func (e *Emulator) adminUsers(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	q := strings.ToLower(r.URL.Query().Get("q"))
	e.adminPage(w, r, "adminusers", "Active users", func(d *pageData, t *tenant) {
		var list []*user
		for _, u := range e.visibleUsers(t) {
			if q == "" || strings.Contains(strings.ToLower(u.DisplayName+" "+u.UPN), q) {
				list = append(list, u)
			}
		}
		d.Accounts, d.Username = list, r.URL.Query().Get("q")
	})
}

func (e *Emulator) adminDeleteUser(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, admin := e.adminFor(r)
	if admin == nil {
		http.Redirect(w, r, e.opts.BaseURL+"/admin/users", http.StatusSeeOther)
		return
	}
	notice := "The user was not found."
	if u := t.Users[r.PathValue("id")]; u != nil && u.ID != admin.ID {
		removeUser(t, u.ID)
		notice = u.DisplayName + " was deleted."
	}
	http.Redirect(w, r, e.opts.BaseURL+"/admin/users?notice="+url.QueryEscape(notice), http.StatusSeeOther)
}

// groupRow is one line of "Active teams and groups".
type groupRow struct {
	Group *group
	Mail  string
	Kind  string
	Users []*user
	Other []*user
}

func (e *Emulator) groupRow(t *tenant, g *group) groupRow {
	row := groupRow{Group: g, Kind: "Security"}
	if g.unified() {
		row.Kind, row.Mail = "Microsoft 365", g.MailNickname+"@"+t.Domain
	}
	for _, u := range e.visibleUsers(t) {
		if slices.Contains(g.Members, u.ID) {
			row.Users = append(row.Users, u)
		} else if !u.ResourceAccount {
			row.Other = append(row.Other, u)
		}
	}
	return row
}

func (e *Emulator) adminGroups(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.adminPage(w, r, "admingroups", "Active teams and groups", func(d *pageData, t *tenant) {
		var rows []groupRow
		for _, g := range e.visibleGroups(t) {
			rows = append(rows, e.groupRow(t, g))
		}
		d.Data = rows
	})
}

func (e *Emulator) adminGroup(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.adminPage(w, r, "admingroup", "Group", func(d *pageData, t *tenant) {
		if g, err := e.visibleGroup(t, r.PathValue("id")); err == nil {
			d.Data = e.groupRow(t, g)
			d.Title = g.DisplayName
		}
	})
}

func (e *Emulator) adminAddMembers(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "malformed form", http.StatusBadRequest)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t, admin := e.adminFor(r)
	back := e.opts.BaseURL + "/admin/groups/" + url.PathEscape(r.PathValue("id"))
	g, err := e.visibleGroup(t, r.PathValue("id"))
	if admin == nil || err != nil {
		http.Redirect(w, r, e.opts.BaseURL+"/admin/groups", http.StatusSeeOther)
		return
	}
	added := 0
	for _, id := range r.PostForm["member"] {
		if e.addMemberTo(t, g, id) == nil {
			added++
		}
	}
	http.Redirect(w, r, back+"?notice="+url.QueryEscape(itoaPlural(added, "member")+" added."), http.StatusSeeOther)
}

func (e *Emulator) adminRemoveMember(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, admin := e.adminFor(r)
	g, err := e.visibleGroup(t, r.PathValue("id"))
	if admin == nil || err != nil {
		http.Redirect(w, r, e.opts.BaseURL+"/admin/groups", http.StatusSeeOther)
		return
	}
	g.Members = removeString(g.Members, r.PathValue("member"))
	http.Redirect(w, r, e.opts.BaseURL+"/admin/groups/"+url.PathEscape(g.ID)+"?notice=Member+removed.", http.StatusSeeOther)
}

func itoaPlural(n int, noun string) string {
	s := strconv.Itoa(n) + " " + noun
	if n != 1 {
		s += "s"
	}
	return s
}
