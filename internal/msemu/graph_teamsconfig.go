package msemu

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// permTeamsUserConfig is what GET /admin/teams/userConfigurations needs
// (learn.microsoft.com/graph/api/teamsadministration-teamsadminroot-list-userconfigurations).
const permTeamsUserConfig = "TeamsUserConfiguration.Read.All"

// listTeamsUserConfigurations is GET /v1.0/admin/teams/userConfigurations:
// the documented teamsUserConfiguration fields the emulator knows (id,
// userPrincipalName, accountType, createdDateTime, telephoneNumbers).
func (e *Emulator) listTeamsUserConfigurations(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, t, err := e.graphAuth(r, permTeamsUserConfig)
	if err != nil {
		return err
	}
	o, err := parseOData(r, "id", "userPrincipalName")
	if err != nil {
		return err
	}
	var objs []map[string]any
	for _, u := range e.visibleUsers(t) {
		kind := "user"
		if u.ResourceAccount {
			kind = "resourceAccount"
		}
		numbers := []map[string]any{}
		for i, n := range u.TeamsNumbers {
			cat := "primary"
			if i > 0 {
				cat = "alternate"
			}
			numbers = append(numbers, map[string]any{"telephoneNumber": n, "assignmentCategory": cat})
		}
		objs = append(objs, map[string]any{"id": u.ID, "userPrincipalName": u.UPN, "accountType": kind,
			"createdDateTime": u.Created.UTC().Format(time.RFC3339), "telephoneNumbers": numbers})
	}
	return e.page(w, r, o, "teamsAdministration.teamsUserConfiguration", objs)
}

// AssignTeamsNumber assigns a Teams phone number to a user (as an admin
// does with Set-CsPhoneNumberAssignment); an empty number clears them.
func (e *Emulator) AssignTeamsNumber(tenantID, userRef, number string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	t := e.w.Tenants[tenantID]
	if t == nil {
		return false
	}
	u := t.userRef(userRef)
	if u == nil {
		return false
	}
	switch {
	case number == "":
		u.TeamsNumbers = nil
	case !slices.ContainsFunc(u.TeamsNumbers, func(n string) bool { return strings.EqualFold(n, number) }):
		u.TeamsNumbers = append(u.TeamsNumbers, number)
	}
	return true
}
