package msemu

import (
	"net/http"
	"slices"
	"strings"
)

func (e *Emulator) listMembers(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, t, err := e.graphAuth(r, permGroupsRead+" GroupMember.Read.All "+permMembersWrite)
	if err != nil {
		return err
	}
	g, err := e.visibleGroup(t, r.PathValue("id"))
	if err != nil {
		return err
	}
	o, err := parseOData(r, "userPrincipalName", "displayName", "id")
	if err != nil {
		return err
	}
	var objs []map[string]any
	for _, id := range g.Members {
		if u := t.Users[id]; u != nil {
			obj := userJSON(u)
			obj["@odata.type"] = "#microsoft.graph.user"
			objs = append(objs, obj)
		}
	}
	return e.page(w, r, o, "directoryObject", objs)
}

// refBody is the body of a $ref POST: {"@odata.id": ".../directoryObjects/{id}"}.
type refBody struct {
	ODataID string `json:"@odata.id"`
}

func (e *Emulator) addMember(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, t, err := e.graphAuth(r, permMembersWrite)
	if err != nil {
		return err
	}
	var b refBody
	if err := decodeJSON(r, &b); err != nil {
		return graphErr(http.StatusBadRequest, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
	}
	i := strings.LastIndex(b.ODataID, "/")
	memberID := b.ODataID[i+1:]
	if memberID == "" {
		return graphErr(http.StatusBadRequest, "Request_BadRequest", "Invalid object identifier '"+b.ODataID+"'.")
	}
	g, err := e.visibleGroup(t, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := e.addMemberTo(t, g, memberID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// addMemberTo is the one place membership grows; Graph and the admin
// center both use it.
func (e *Emulator) addMemberTo(t *tenant, g *group, memberID string) error {
	u := t.Users[memberID]
	if u == nil || !e.visible(u.Created) {
		return notFound(memberID)
	}
	if slices.Contains(g.Members, memberID) {
		return graphErr(http.StatusBadRequest, "Request_BadRequest", "One or more added object references already exist for the following modified properties: 'members'.")
	}
	g.Members = append(g.Members, memberID)
	return nil
}

func (e *Emulator) removeMember(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, t, err := e.graphAuth(r, permMembersWrite)
	if err != nil {
		return err
	}
	g, err := e.visibleGroup(t, r.PathValue("id"))
	if err != nil {
		return err
	}
	mid := r.PathValue("member")
	if !slices.Contains(g.Members, mid) {
		return notFound(mid)
	}
	g.Members = removeString(g.Members, mid)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
