package msemu

import (
	"net/http"
	"sort"
	"strings"
	"time"
)

func (e *Emulator) spJSON(sp *servicePrincipal) map[string]any {
	return map[string]any{
		"id": sp.ID, "appId": sp.AppID, "displayName": sp.DisplayName,
		"servicePrincipalType": "Application", "accountEnabled": true,
		"appOwnerOrganizationId": nil, "createdDateTime": sp.Created.UTC().Format(time.RFC3339),
		"appRoles": e.appRolesOf(sp.AppID),
	}
}

// appRolesOf lists the app roles a resource defines (servicePrincipal
// appRoles: id, value, allowedMemberTypes …), as far as the emulator knows
// them: those its registered apps request.
func (e *Emulator) appRolesOf(resourceAppID string) []map[string]any {
	seen := map[string]bool{}
	out := []map[string]any{}
	for _, app := range e.w.Apps {
		for _, role := range app.Application[resourceAppID] {
			if seen[role] {
				continue
			}
			seen[role] = true
			out = append(out, map[string]any{"id": stableID("approle/" + resourceAppID + "/" + role), "value": role,
				"displayName": role, "description": role, "allowedMemberTypes": []string{"Application"}, "isEnabled": true})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i]["value"].(string) < out[j]["value"].(string) })
	return out
}

func grantJSON(g *permissionGrant) map[string]any {
	return map[string]any{
		"id": g.ID, "clientId": g.ClientID, "consentType": g.ConsentType,
		"principalId": nullable(g.PrincipalID), "resourceId": g.ResourceID, "scope": g.Scope,
	}
}

func (e *Emulator) listServicePrincipals(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, t, err := e.graphAuth(r, permAppsRead)
	if err != nil {
		return err
	}
	o, err := parseOData(r, "appId", "displayName", "id")
	if err != nil {
		return err
	}
	var sps []*servicePrincipal
	for _, sp := range t.ServicePrincipals {
		if e.visible(sp.Created) {
			sps = append(sps, sp)
		}
	}
	sort.Slice(sps, func(i, j int) bool { return sps[i].DisplayName < sps[j].DisplayName })
	var objs []map[string]any
	for _, sp := range sps {
		objs = append(objs, e.spJSON(sp))
	}
	return e.page(w, r, o, "servicePrincipal", objs)
}

func (e *Emulator) getServicePrincipal(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, t, err := e.graphAuth(r, permAppsRead)
	if err != nil {
		return err
	}
	sp := t.ServicePrincipals[r.PathValue("id")]
	if sp == nil || !e.visible(sp.Created) {
		return notFound(r.PathValue("id"))
	}
	writeJSON(w, http.StatusOK, e.spJSON(sp))
	return nil
}

func (e *Emulator) listAppRoleAssignments(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, t, err := e.graphAuth(r, permAppsRead)
	if err != nil {
		return err
	}
	sp := t.ServicePrincipals[r.PathValue("id")]
	if sp == nil || !e.visible(sp.Created) {
		return notFound(r.PathValue("id"))
	}
	var objs []map[string]any
	for _, ar := range sp.AppRoles {
		res, _, _ := strings.Cut(ar, "/")
		resSP := t.spByAppID(res)
		objs = append(objs, map[string]any{
			"id": stableID(sp.ID + "/" + ar), "principalId": sp.ID, "principalType": "ServicePrincipal",
			"principalDisplayName": sp.DisplayName, "resourceId": resSP.ID, "resourceDisplayName": resSP.DisplayName,
			"appRoleId": stableID("approle/" + ar), "createdDateTime": sp.Created.UTC().Format(time.RFC3339),
		})
	}
	o, _ := parseOData(r)
	return e.page(w, r, o, "appRoleAssignment", objs)
}

func (e *Emulator) listGrants(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, t, err := e.graphAuth(r, permGrantsRead)
	if err != nil {
		return err
	}
	o, err := parseOData(r, "clientId", "resourceId", "consentType", "principalId")
	if err != nil {
		return err
	}
	var grants []*permissionGrant
	for _, g := range t.Grants {
		grants = append(grants, g)
	}
	sort.Slice(grants, func(i, j int) bool { return grants[i].ID < grants[j].ID })
	var objs []map[string]any
	for _, g := range grants {
		objs = append(objs, grantJSON(g))
	}
	return e.page(w, r, o, "oAuth2PermissionGrant", objs)
}

func (e *Emulator) getGrant(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, t, err := e.graphAuth(r, permGrantsRead)
	if err != nil {
		return err
	}
	g := t.Grants[r.PathValue("id")]
	if g == nil {
		return notFound(r.PathValue("id"))
	}
	writeJSON(w, http.StatusOK, grantJSON(g))
	return nil
}

func (e *Emulator) deleteGrant(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, t, err := e.graphAuth(r, permGrantsWrite)
	if err != nil {
		return err
	}
	if t.Grants[r.PathValue("id")] == nil {
		return notFound(r.PathValue("id"))
	}
	delete(t.Grants, r.PathValue("id"))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deleteAppRoleAssignment revokes one application permission of a service
// principal (DELETE /servicePrincipals/{id}/appRoleAssignments/{id}, which
// Graph documents with AppRoleAssignment.ReadWrite.All).
func (e *Emulator) deleteAppRoleAssignment(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, t, err := e.graphAuth(r, permRolesWrite)
	if err != nil {
		return err
	}
	sp := t.ServicePrincipals[r.PathValue("id")]
	if sp == nil || !e.visible(sp.Created) {
		return notFound(r.PathValue("id"))
	}
	for i, ar := range sp.AppRoles {
		if stableID(sp.ID+"/"+ar) == r.PathValue("assignment") {
			sp.AppRoles = append(sp.AppRoles[:i:i], sp.AppRoles[i+1:]...)
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
	}
	return notFound(r.PathValue("assignment"))
}
