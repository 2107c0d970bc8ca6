package msemu

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// callsPage feeds the "Place a test call" page.
type callsPage struct {
	People []*user
	Calls  []CallInfo
	Form   PlaceCall
}

// adminCalls is Teams > Place a test call: a form and the recent calls of
// the signed-in admin's tenant with what each party saw and heard.
func (e *Emulator) adminCalls(w http.ResponseWriter, r *http.Request) {
	views := e.CallViews()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.adminPage(w, r, "admincalls", "Place a test call", func(d *pageData, t *tenant) {
		p := &callsPage{Form: PlaceCall{DurationSeconds: 20}}
		for _, u := range e.visibleUsers(t) {
			if !u.ResourceAccount {
				p.People = append(p.People, u)
			}
		}
		for _, v := range views {
			if v.inTenant(t.ID) {
				p.Calls = append(p.Calls, v)
			}
		}
		if len(p.Calls) > 20 {
			p.Calls = p.Calls[:20]
		}
		d.Data = p
	})
}

func (v CallInfo) inTenant(tid string) bool {
	for _, p := range v.Parties {
		if p.TenantID == tid {
			return true
		}
	}
	return false
}

// adminPlaceCall places the call the form describes; a typed phone number
// wins over the picked user.
func (e *Emulator) adminPlaceCall(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "malformed form", http.StatusBadRequest)
		return
	}
	e.mu.Lock()
	t, admin := e.adminFor(r)
	e.mu.Unlock()
	back := e.opts.BaseURL + "/admin/calls"
	if admin == nil {
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	pick := func(side string) string {
		if phone := strings.TrimSpace(r.PostForm.Get(side + "_phone")); phone != "" {
			return phone
		}
		return r.PostForm.Get(side)
	}
	secs, _ := strconv.ParseFloat(r.PostForm.Get("duration"), 64)
	p := PlaceCall{From: pick("from"), To: pick("to"), DurationSeconds: secs}
	notice := "Call placed."
	if err := e.checkTenant(t, p); err != "" {
		notice = err
	} else if _, err := e.PlaceCall(p); err != nil {
		notice = strings.TrimPrefix(err.Error(), errBadCall.Error()+": ")
	}
	http.Redirect(w, r, back+"?notice="+url.QueryEscape(notice), http.StatusSeeOther)
}

// checkTenant keeps an admin to calls with a party of their own tenant.
func (e *Emulator) checkTenant(t *tenant, p PlaceCall) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ref := range []string{p.From, p.To} {
		if tt, _ := e.w.findUserByUPN(ref); tt != nil && tt.ID == t.ID {
			return ""
		}
	}
	return "Pick at least one person of " + t.DisplayName + "."
}
