package msemu

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// teamsAuth admits a Teams admin API call: a delegated token of a Teams or
// Global administrator, or (unless delegatedOnly) an app-only token whose
// service principal holds the Teams Administrator role.
func (e *Emulator) teamsAuth(r *http.Request, delegatedOnly bool) (*tenant, error) {
	p, err := e.verify(r, TeamsAdminAppID, "api://"+TeamsAdminAppID)
	switch {
	case errors.Is(err, errNoToken):
		return nil, teamsErr(http.StatusUnauthorized, "Unauthorized", "Authorization header with a bearer token is required.")
	case errors.Is(err, errWrongAudience):
		return nil, teamsErr(http.StatusUnauthorized, "Unauthorized", "The token's audience is not the Skype and Teams Tenant Admin API ("+TeamsAdminAppID+").")
	case err != nil:
		return nil, teamsErr(http.StatusUnauthorized, "Unauthorized", "The bearer token is not valid: "+err.Error())
	}
	t := e.w.Tenants[p.TenantID]
	if t == nil {
		return nil, teamsErr(http.StatusUnauthorized, "Unauthorized", "Unknown tenant.")
	}
	if p.appOnly() {
		if delegatedOnly {
			return nil, teamsErr(http.StatusForbidden, "Forbidden", "Application instance operations are not supported with application (app-only) authentication; use a delegated token of a Teams or Global administrator.")
		}
		if sp := t.spByAppID(p.AppID); sp == nil || !sp.TeamsAdmin {
			return nil, teamsErr(http.StatusForbidden, "Forbidden", "The service principal does not hold the Teams Administrator role.")
		}
		return t, nil
	}
	if !slices.Contains(p.Scopes, "user_impersonation") {
		return nil, teamsErr(http.StatusForbidden, "Forbidden", "The token lacks the user_impersonation permission.")
	}
	if !slices.Contains(p.Wids, RoleGlobalAdmin) && !slices.Contains(p.Wids, RoleTeamsAdmin) {
		return nil, teamsErr(http.StatusForbidden, "Forbidden", "The signed-in user is not a Teams or Global administrator.")
	}
	return t, nil
}

func instanceJSON(t *tenant, in *appInstance) map[string]any {
	return map[string]any{
		"objectId": in.ObjectID, "tenantId": t.ID, "userPrincipalName": in.UPN,
		"applicationId": in.ApplicationID, "displayName": in.DisplayName, "phoneNumber": nullable(in.PhoneNumber),
	}
}

// newInstanceBody is New-CsOnlineApplicationInstance's payload.
type newInstanceBody struct {
	ApplicationID     string `json:"ApplicationId"`
	DisplayName       string `json:"DisplayName"`
	UserPrincipalName string `json:"UserPrincipalName"`
}

func (e *Emulator) createInstance(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.teamsAuth(r, true)
	if err != nil {
		return err
	}
	var b newInstanceBody
	if err := decodeJSON(r, &b); err != nil {
		return teamsErr(http.StatusBadRequest, "BadRequest", err.Error())
	}
	_, domain, _ := strings.Cut(b.UserPrincipalName, "@")
	switch {
	case strings.TrimSpace(b.DisplayName) == "":
		return teamsErr(http.StatusBadRequest, "BadRequest", "DisplayName is required.")
	case !strings.EqualFold(domain, t.Domain):
		return teamsErr(http.StatusBadRequest, "BadRequest", "UserPrincipalName '"+b.UserPrincipalName+"' must use a verified domain of the tenant ("+t.Domain+").")
	case b.ApplicationID != "" && uuid.Validate(b.ApplicationID) != nil:
		return teamsErr(http.StatusBadRequest, "BadRequest", "ApplicationId must be a GUID.")
	case t.userRef(b.UserPrincipalName) != nil:
		return teamsErr(http.StatusConflict, "Conflict", "Another object with the same value for property userPrincipalName already exists.")
	}
	if e.faults.take(r.URL.Path, FaultInstanceSync) != nil {
		return teamsErr(http.StatusInternalServerError, "InternalServerError", "Failed to update application instance in APS")
	}
	now := e.clock.Now()
	u := &user{ID: e.ids.NewID(), DisplayName: b.DisplayName, UPN: b.UserPrincipalName, ResourceAccount: true,
		BusinessPhones: []string{}, Created: now}
	t.Users[u.ID] = u
	in := &appInstance{ObjectID: u.ID, ApplicationID: b.ApplicationID, DisplayName: b.DisplayName, UPN: u.UPN, Created: now}
	t.Instances[in.ObjectID] = in
	writeJSON(w, http.StatusCreated, instanceJSON(t, in))
	return nil
}

func (e *Emulator) listInstances(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.teamsAuth(r, false)
	if err != nil {
		return err
	}
	size, skip, err := pageParams(r)
	if err != nil {
		return err
	}
	var all []*appInstance
	for _, in := range t.Instances {
		if e.visible(in.Created) {
			all = append(all, in)
		}
	}
	slices.SortFunc(all, func(a, b *appInstance) int { return strings.Compare(a.UPN, b.UPN) })
	list := []map[string]any{}
	for i := skip; i < len(all) && i < skip+size; i++ {
		list = append(list, instanceJSON(t, all[i]))
	}
	var next any
	if skip+size < len(all) {
		next = strconv.Itoa(skip + size)
	}
	writeJSON(w, http.StatusOK, map[string]any{"applicationInstances": list, "skipToken": next})
	return nil
}

func pageParams(r *http.Request) (size, skip int, err error) {
	size = 100
	if s := r.URL.Query().Get("pageSize"); s != "" {
		if size, err = strconv.Atoi(s); err != nil || size < 1 || size > 100 {
			return 0, 0, teamsErr(http.StatusBadRequest, "BadRequest", "pageSize must be between 1 and 100.")
		}
	}
	if s := r.URL.Query().Get("skipToken"); s != "" {
		if skip, err = strconv.Atoi(s); err != nil || skip < 0 {
			return 0, 0, teamsErr(http.StatusBadRequest, "BadRequest", "skipToken is not valid.")
		}
	}
	return size, skip, nil
}

// serviceDiscovery is the module's connect handshake (GET
// /Teams.Tenant/serviceDiscovery, public code: terraprovider/go-teams):
// the tenant's admin service endpoint and forest, which later calls carry
// as X-MS-Target-Uri and X-MS-Forest. The emulator serves every forest
// itself, so it names its own host.
func (e *Emulator) serviceDiscovery(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, err := e.teamsAuth(r, false); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"Endpoints": map[string]any{"ConfigApiEndpoint": r.Host, "AdminServiceEndpoint": r.Host},
		"Headers":   map[string]any{"X-MS-Forest": emuForest},
	})
	return nil
}

// emuForest is the forest the emulator's discovery names.
const emuForest = "emu1"
