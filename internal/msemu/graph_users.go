package msemu

import (
	"net/http"
	"sort"
	"strings"
)

func userJSON(u *user) map[string]any {
	var phones any = u.BusinessPhones
	if u.BusinessPhones == nil {
		phones = []string{}
	}
	return map[string]any{
		"id": u.ID, "displayName": u.DisplayName, "givenName": nullable(u.GivenName),
		"surname": nullable(u.Surname), "userPrincipalName": u.UPN, "mail": u.UPN,
		"jobTitle": nullable(u.JobTitle), "businessPhones": phones, "mobilePhone": nil,
		"officeLocation": nil, "preferredLanguage": "en-US",
	}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// visibleUsers lists the tenant's replicated users in a stable order.
func (e *Emulator) visibleUsers(t *tenant) []*user {
	var out []*user
	for _, u := range t.Users {
		if e.visible(u.Created) {
			out = append(out, u)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].DisplayName < out[j].DisplayName })
	return out
}

func (e *Emulator) listUsers(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, t, err := e.graphAuth(r, permUsersRead)
	if err != nil {
		return err
	}
	o, err := parseOData(r, "userPrincipalName", "displayName", "mail", "id")
	if err != nil {
		return err
	}
	var objs []map[string]any
	for _, u := range e.visibleUsers(t) {
		objs = append(objs, userJSON(u))
	}
	return e.page(w, r, o, "user", objs)
}

func (e *Emulator) getUser(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, t, err := e.graphAuth(r, permAnyToken)
	if err != nil {
		return err
	}
	u := t.userRef(r.PathValue("id"))
	if u == nil || !e.visible(u.Created) {
		return notFound(r.PathValue("id"))
	}
	if u.ID != p.UserID && !p.hasAny(strings.Fields("User.ReadBasic.All "+permUsersRead)...) {
		return graphErr(http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	}
	o, err := parseOData(r)
	if err != nil {
		return err
	}
	obj, err := selectProps(userJSON(u), o.Select, "user")
	if err != nil {
		return err
	}
	obj["@odata.context"] = e.opts.BaseURL + "/v1.0/$metadata#users/$entity"
	writeJSON(w, http.StatusOK, obj)
	return nil
}

func (e *Emulator) deleteUser(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, t, err := e.graphAuth(r, permUsersWrite)
	if err != nil {
		return err
	}
	u := t.userRef(r.PathValue("id"))
	if u == nil || !e.visible(u.Created) {
		return notFound(r.PathValue("id"))
	}
	removeUser(t, u.ID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// removeUser deletes a user with everything that refers to it: group
// memberships, policy grants and, for a resource account, its instance.
func removeUser(t *tenant, id string) {
	delete(t.Users, id)
	delete(t.Instances, id)
	delete(t.UserPolicies, id)
	for _, g := range t.Groups {
		g.Members = removeString(g.Members, id)
	}
	for gid, g := range t.Grants {
		if g.PrincipalID == id {
			delete(t.Grants, gid)
		}
	}
}

func removeString(list []string, v string) []string {
	out := list[:0]
	for _, s := range list {
		if s != v {
			out = append(out, s)
		}
	}
	return out
}
