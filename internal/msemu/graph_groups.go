package msemu

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

func (t *tenant) groupJSON(g *group) map[string]any {
	var mail any
	proxies := []string{}
	if g.MailEnabled {
		mail = g.MailNickname + "@" + t.Domain
		proxies = []string{"SMTP:" + g.MailNickname + "@" + t.Domain}
	}
	types := g.GroupTypes
	if types == nil {
		types = []string{}
	}
	return map[string]any{
		"id": g.ID, "displayName": g.DisplayName, "description": nullable(g.Description),
		"mail": mail, "mailEnabled": g.MailEnabled, "mailNickname": g.MailNickname,
		"securityEnabled": g.SecurityEnabled, "groupTypes": types, "proxyAddresses": proxies,
		"createdDateTime": g.Created.UTC().Format(time.RFC3339), "visibility": groupVisibility(g),
	}
}

func groupVisibility(g *group) any {
	if g.unified() {
		return "Public"
	}
	return nil
}

func (e *Emulator) visibleGroups(t *tenant) []*group {
	var out []*group
	for _, g := range t.Groups {
		if e.visible(g.Created) {
			out = append(out, g)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].DisplayName < out[j].DisplayName })
	return out
}

func (e *Emulator) visibleGroup(t *tenant, id string) (*group, error) {
	g := t.Groups[id]
	if g == nil || !e.visible(g.Created) {
		return nil, notFound(id)
	}
	return g, nil
}

func (e *Emulator) listGroups(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, t, err := e.graphAuth(r, permGroupsRead)
	if err != nil {
		return err
	}
	o, err := parseOData(r, "mailNickname", "displayName", "mail", "id")
	if err != nil {
		return err
	}
	var objs []map[string]any
	for _, g := range e.visibleGroups(t) {
		objs = append(objs, t.groupJSON(g))
	}
	return e.page(w, r, o, "group", objs)
}

func (e *Emulator) getGroup(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, t, err := e.graphAuth(r, permGroupsRead)
	if err != nil {
		return err
	}
	g, err := e.visibleGroup(t, r.PathValue("id"))
	if err != nil {
		return err
	}
	o, err := parseOData(r)
	if err != nil {
		return err
	}
	obj, err := selectProps(t.groupJSON(g), o.Select, "group")
	if err != nil {
		return err
	}
	obj["@odata.context"] = e.opts.BaseURL + "/v1.0/$metadata#groups/$entity"
	writeJSON(w, http.StatusOK, obj)
	return nil
}

// newGroupBody is POST /v1.0/groups.
type newGroupBody struct {
	DisplayName     string   `json:"displayName"`
	Description     string   `json:"description"`
	MailNickname    string   `json:"mailNickname"`
	MailEnabled     *bool    `json:"mailEnabled"`
	SecurityEnabled *bool    `json:"securityEnabled"`
	GroupTypes      []string `json:"groupTypes"`
}

func (e *Emulator) createGroup(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, t, err := e.graphAuth(r, permGroupsWrite+" Group.Create")
	if err != nil {
		return err
	}
	var b newGroupBody
	if err := decodeJSON(r, &b); err != nil {
		return graphErr(http.StatusBadRequest, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
	}
	g, err := e.validateGroup(t, &b)
	if err != nil {
		return err
	}
	t.Groups[g.ID] = g
	obj := t.groupJSON(g)
	obj["@odata.context"] = e.opts.BaseURL + "/v1.0/$metadata#groups/$entity"
	w.Header().Set("Location", e.opts.BaseURL+"/v1.0/directoryObjects/"+g.ID+"/Microsoft.DirectoryServices.Group")
	writeJSON(w, http.StatusCreated, obj)
	return nil
}

func invalidProp(prop string) *graphError {
	return graphErr(http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property '"+prop+"' of resource 'Group'.")
}

func (e *Emulator) validateGroup(t *tenant, b *newGroupBody) (*group, error) {
	switch {
	case strings.TrimSpace(b.DisplayName) == "" || len(b.DisplayName) > 256:
		return nil, invalidProp("displayName")
	case !validMailNickname(b.MailNickname):
		return nil, invalidProp("mailNickname")
	case b.MailEnabled == nil:
		return nil, invalidProp("mailEnabled")
	case b.SecurityEnabled == nil:
		return nil, invalidProp("securityEnabled")
	}
	unified := slices.Contains(b.GroupTypes, "Unified")
	if *b.MailEnabled && !unified {
		return nil, graphErr(http.StatusBadRequest, "Request_BadRequest", "The service does not currently support writes of mail-enabled groups. Please ensure that the mail-enablement property is unset or is set to false.")
	}
	if unified {
		for _, g := range t.Groups {
			if g.MailEnabled && strings.EqualFold(g.MailNickname, b.MailNickname) {
				return nil, graphErr(http.StatusBadRequest, "Request_BadRequest", "Another object with the same value for property proxyAddresses already exists.")
			}
		}
	}
	types := b.GroupTypes
	if types == nil {
		types = []string{}
	}
	return &group{
		ID: e.ids.NewID(), DisplayName: b.DisplayName, Description: b.Description, MailNickname: b.MailNickname,
		MailEnabled: unified, SecurityEnabled: *b.SecurityEnabled, GroupTypes: types, Members: []string{},
		Created: e.clock.Now(),
	}, nil
}

// validMailNickname applies Microsoft's rule: 1–64 ASCII characters, none of
// @ ( ) \ [ ] " ; : . < > , or space.
func validMailNickname(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if c > 127 || c < 33 || strings.ContainsRune(`@()\[]";:.<>,`, c) {
			return false
		}
	}
	return true
}

func (e *Emulator) deleteGroup(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, t, err := e.graphAuth(r, permGroupsWrite)
	if err != nil {
		return err
	}
	g, err := e.visibleGroup(t, r.PathValue("id"))
	if err != nil {
		return err
	}
	delete(t.Groups, g.ID)
	t.GroupAssignments = slices.DeleteFunc(t.GroupAssignments, func(a *groupAssignment) bool { return a.GroupID == g.ID })
	renumber(t, policyType)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
