package msemu

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// graphAuth verifies a Graph bearer token and, when perms are given, that it
// holds one of them: 401 for a bad token, 403 for missing permission, as
// Microsoft Graph answers.
func (e *Emulator) graphAuth(r *http.Request, perms string) (*principal, *tenant, error) {
	p, err := e.verify(r, GraphResource, GraphAppID)
	switch {
	case errors.Is(err, errNoToken):
		return nil, nil, graphErr(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
	case errors.Is(err, errWrongAudience):
		return nil, nil, graphErr(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
	case err != nil && strings.Contains(err.Error(), "expired"):
		return nil, nil, graphErr(http.StatusUnauthorized, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
	case err != nil:
		return nil, nil, graphErr(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure.")
	}
	t := e.w.Tenants[p.TenantID]
	if t == nil || (!p.appOnly() && t.Users[p.UserID] == nil) {
		return nil, nil, graphErr(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. The tenant or user of the token does not exist.")
	}
	if perms != "" && !p.hasAny(strings.Fields(perms)...) {
		return nil, nil, graphErr(http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	}
	return p, t, nil
}

// Permission sets of the Graph endpoints: any one of the listed delegated
// scopes or application roles admits the call.
const (
	permUsersRead    = "User.Read.All User.ReadWrite.All Directory.Read.All Directory.ReadWrite.All"
	permUsersWrite   = "User.ReadWrite.All Directory.ReadWrite.All"
	permGroupsRead   = "Group.Read.All Group.ReadWrite.All Directory.Read.All Directory.ReadWrite.All"
	permGroupsWrite  = "Group.ReadWrite.All Directory.ReadWrite.All"
	permMembersWrite = "GroupMember.ReadWrite.All Group.ReadWrite.All Directory.ReadWrite.All"
	permAppsRead     = "Application.Read.All Directory.Read.All Directory.ReadWrite.All"
	permGrantsRead   = "DelegatedPermissionGrant.ReadWrite.All Directory.Read.All Directory.ReadWrite.All"
	permGrantsWrite  = "DelegatedPermissionGrant.ReadWrite.All Directory.ReadWrite.All"
	permRolesWrite   = "AppRoleAssignment.ReadWrite.All"
	permAnyToken     = ""
)

// odataQuery is the parsed subset of OData query options the emulator serves.
type odataQuery struct {
	Select []string
	Filter *odataFilter
	Top    int
	Skip   int
	raw    url.Values
}

type odataFilter struct {
	Prop  string
	Value string
}

func parseOData(r *http.Request, filterable ...string) (*odataQuery, error) {
	q := r.URL.Query()
	o := &odataQuery{Top: 100, raw: q}
	if s := q.Get("$select"); s != "" {
		for _, f := range strings.Split(s, ",") {
			o.Select = append(o.Select, strings.TrimSpace(f))
		}
	}
	if s := q.Get("$top"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 999 {
			return nil, graphErr(http.StatusBadRequest, "Request_BadRequest", "Invalid page size specified: '"+s+"'. Must be between 1 and 999 inclusive.")
		}
		o.Top = n
	}
	if s := q.Get("$skiptoken"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, graphErr(http.StatusBadRequest, "Request_BadRequest", "Invalid $skiptoken.")
		}
		o.Skip = n
	}
	if s := q.Get("$filter"); s != "" {
		f, err := parseFilter(s, filterable)
		if err != nil {
			return nil, err
		}
		o.Filter = f
	}
	return o, nil
}

// parseFilter accepts "prop eq 'value'", the only form callrec needs.
func parseFilter(s string, filterable []string) (*odataFilter, error) {
	fields := strings.SplitN(strings.TrimSpace(s), " ", 3)
	if len(fields) != 3 || !strings.EqualFold(fields[1], "eq") ||
		len(fields[2]) < 2 || fields[2][0] != '\'' || fields[2][len(fields[2])-1] != '\'' {
		return nil, graphErr(http.StatusBadRequest, "BadRequest", "Invalid filter clause: syntax error in '"+s+"'.")
	}
	if !slices.Contains(filterable, fields[0]) {
		return nil, graphErr(http.StatusBadRequest, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified for property '"+fields[0]+"'.")
	}
	value := strings.ReplaceAll(fields[2][1:len(fields[2])-1], "''", "'")
	return &odataFilter{Prop: fields[0], Value: value}, nil
}

func (f *odataFilter) match(props map[string]any) bool {
	if f == nil {
		return true
	}
	v, _ := props[f.Prop].(string)
	return strings.EqualFold(v, f.Value)
}

// page applies $filter, $select, $top and $skiptoken to objects and writes
// the collection with @odata.nextLink when more remain.
func (e *Emulator) page(w http.ResponseWriter, r *http.Request, o *odataQuery, entity string, objs []map[string]any) error {
	var matched []map[string]any
	for _, obj := range objs {
		if o.Filter.match(obj) {
			matched = append(matched, obj)
		}
	}
	value := []map[string]any{}
	for i := o.Skip; i < len(matched) && i < o.Skip+o.Top; i++ {
		sel, err := selectProps(matched[i], o.Select, entity)
		if err != nil {
			return err
		}
		value = append(value, sel)
	}
	body := map[string]any{"@odata.context": e.opts.BaseURL + "/v1.0/$metadata#" + entity + "s", "value": value}
	if o.Skip+o.Top < len(matched) {
		next := url.Values{}
		for k, v := range o.raw {
			next[k] = v
		}
		next.Set("$skiptoken", strconv.Itoa(o.Skip+o.Top))
		next.Set("$top", strconv.Itoa(o.Top))
		body["@odata.nextLink"] = e.opts.BaseURL + r.URL.Path + "?" + next.Encode()
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

func selectProps(obj map[string]any, sel []string, entity string) (map[string]any, error) {
	if len(sel) == 0 {
		return obj, nil
	}
	out := map[string]any{}
	for _, k := range sel {
		v, ok := obj[k]
		if !ok {
			return nil, graphErr(http.StatusBadRequest, "Request_BadRequest",
				"Could not find a property named '"+k+"' on type 'microsoft.graph."+entity+"'.")
		}
		out[k] = v
	}
	return out, nil
}

func notFound(id string) *graphError {
	return graphErr(http.StatusNotFound, "Request_ResourceNotFound",
		"Resource '"+id+"' does not exist or one of its queried reference-property objects are not present.")
}

func (e *Emulator) organization(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, t, err := e.graphAuth(r, permAnyToken)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"@odata.context": e.opts.BaseURL + "/v1.0/$metadata#organization",
		"value": []map[string]any{{
			"id": t.ID, "displayName": t.DisplayName,
			"verifiedDomains": []map[string]any{{"name": t.Domain, "isDefault": true, "isInitial": true,
				"type": "Managed", "capabilities": "Email, OfficeCommunicationsOnline"}},
		}},
	})
	return nil
}
