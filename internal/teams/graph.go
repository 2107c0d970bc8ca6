package teams

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// Graph calls Microsoft Graph's directory endpoints with a delegated token.
type Graph struct {
	base  string
	hc    *http.Client
	token string
}

// NewGraph returns a Graph client for one access token.
func NewGraph(ep Endpoints, hc *http.Client, token string) *Graph {
	hc = orDefault(hc)
	return &Graph{base: strings.TrimRight(ep.GraphURL, "/") + "/v1.0", hc: hc, token: token}
}

// Organization is the tenant as Graph describes it.
type Organization struct {
	ID            string
	DisplayName   string
	InitialDomain string // the *.onmicrosoft.com domain
	DefaultDomain string
}

// Organization reads the signed-in tenant.
func (g *Graph) Organization(ctx context.Context) (Organization, error) {
	var body struct {
		Value []struct {
			ID              string `json:"id"`
			DisplayName     string `json:"displayName"`
			VerifiedDomains []struct {
				Name      string `json:"name"`
				IsDefault bool   `json:"isDefault"`
				IsInitial bool   `json:"isInitial"`
			} `json:"verifiedDomains"`
		} `json:"value"`
	}
	if err := call(ctx, g.hc, http.MethodGet, g.base+"/organization", g.token, nil, &body); err != nil {
		return Organization{}, err
	}
	if len(body.Value) == 0 {
		return Organization{}, &APIError{Status: http.StatusNotFound, Code: "Request_ResourceNotFound", Message: "no organization"}
	}
	o := body.Value[0]
	out := Organization{ID: o.ID, DisplayName: o.DisplayName}
	for _, d := range o.VerifiedDomains {
		if d.IsInitial {
			out.InitialDomain = d.Name
		}
		if d.IsDefault {
			out.DefaultDomain = d.Name
		}
	}
	if out.InitialDomain == "" {
		out.InitialDomain = out.DefaultDomain
	}
	return out, nil
}

// Group is a directory group.
type Group struct {
	ID           string   `json:"id"`
	DisplayName  string   `json:"displayName"`
	MailNickname string   `json:"mailNickname"`
	Mail         string   `json:"mail"`
	GroupTypes   []string `json:"groupTypes"`
}

// quote makes an OData string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// FindGroupByMailNickname returns the group with that mailNickname, or a
// *APIError 404 when there is none.
func (g *Graph) FindGroupByMailNickname(ctx context.Context, nick string) (Group, error) {
	q := url.Values{"$filter": {"mailNickname eq " + quote(nick)}, "$select": {"id,displayName,mailNickname,mail,groupTypes"}}
	var body struct {
		Value []Group `json:"value"`
	}
	if err := call(ctx, g.hc, http.MethodGet, g.base+"/groups?"+q.Encode(), g.token, nil, &body); err != nil {
		return Group{}, err
	}
	if len(body.Value) == 0 {
		return Group{}, &APIError{Status: http.StatusNotFound, Code: "Request_ResourceNotFound", Message: "no group with mailNickname " + nick}
	}
	return body.Value[0], nil
}

// CreateGroup makes a Microsoft 365 group, which gets the mail address the
// guide shows (recorded_users@domain) and can carry a policy assignment.
func (g *Graph) CreateGroup(ctx context.Context, displayName, nick, description string) (Group, error) {
	body := map[string]any{"displayName": displayName, "mailNickname": nick, "description": description,
		"mailEnabled": true, "securityEnabled": true, "groupTypes": []string{"Unified"}}
	var out Group
	return out, call(ctx, g.hc, http.MethodPost, g.base+"/groups", g.token, body, &out)
}

// GetGroup reads a group by id.
func (g *Graph) GetGroup(ctx context.Context, id string) (Group, error) {
	var out Group
	return out, call(ctx, g.hc, http.MethodGet, g.base+"/groups/"+url.PathEscape(id), g.token, nil, &out)
}

// DeleteGroup deletes a group; its members stay users.
func (g *Graph) DeleteGroup(ctx context.Context, id string) error {
	return call(ctx, g.hc, http.MethodDelete, g.base+"/groups/"+url.PathEscape(id), g.token, nil, nil)
}

// User is a directory user.
type User struct {
	ID                string `json:"id"`
	DisplayName       string `json:"displayName"`
	UserPrincipalName string `json:"userPrincipalName"`
}

// GetUser reads a user by id or UPN.
func (g *Graph) GetUser(ctx context.Context, id string) (User, error) {
	var out User
	return out, call(ctx, g.hc, http.MethodGet, g.base+"/users/"+url.PathEscape(id), g.token, nil, &out)
}

// DeleteUser deletes a user (used only for the application's resource account).
func (g *Graph) DeleteUser(ctx context.Context, id string) error {
	return call(ctx, g.hc, http.MethodDelete, g.base+"/users/"+url.PathEscape(id), g.token, nil, nil)
}

// ServicePrincipalID finds the tenant's service principal of an app.
func (g *Graph) ServicePrincipalID(ctx context.Context, appID string) (string, error) {
	q := url.Values{"$filter": {"appId eq " + quote(appID)}, "$select": {"id,appId"}}
	var body struct {
		Value []struct {
			ID string `json:"id"`
		} `json:"value"`
	}
	if err := call(ctx, g.hc, http.MethodGet, g.base+"/servicePrincipals?"+q.Encode(), g.token, nil, &body); err != nil {
		return "", err
	}
	if len(body.Value) == 0 {
		return "", &APIError{Status: http.StatusNotFound, Code: "Request_ResourceNotFound", Message: "no service principal for app " + appID}
	}
	return body.Value[0].ID, nil
}

// Grant is a delegated permission grant.
type Grant struct {
	ID          string `json:"id"`
	ClientID    string `json:"clientId"`
	ConsentType string `json:"consentType"`
	Scope       string `json:"scope"`
}

// Grants lists the delegated permission grants of a client service principal.
func (g *Graph) Grants(ctx context.Context, clientSPID string) ([]Grant, error) {
	q := url.Values{"$filter": {"clientId eq " + quote(clientSPID)}}
	var body struct {
		Value []Grant `json:"value"`
	}
	err := call(ctx, g.hc, http.MethodGet, g.base+"/oauth2PermissionGrants?"+q.Encode(), g.token, nil, &body)
	return body.Value, err
}

// DeleteGrant revokes a delegated permission grant.
func (g *Graph) DeleteGrant(ctx context.Context, id string) error {
	return call(ctx, g.hc, http.MethodDelete, g.base+"/oauth2PermissionGrants/"+url.PathEscape(id), g.token, nil, nil)
}

// AppRoleAssignment is an application permission held by a service
// principal (an app role of a resource such as Microsoft Graph).
type AppRoleAssignment struct {
	ID         string `json:"id"`
	AppRoleID  string `json:"appRoleId"`
	ResourceID string `json:"resourceId"`
}

// AppRoleAssignments lists the application permissions a service principal
// holds (admin consent grants them).
func (g *Graph) AppRoleAssignments(ctx context.Context, spID string) ([]AppRoleAssignment, error) {
	var body struct {
		Value []AppRoleAssignment `json:"value"`
	}
	err := call(ctx, g.hc, http.MethodGet, g.base+"/servicePrincipals/"+url.PathEscape(spID)+"/appRoleAssignments", g.token, nil, &body)
	return body.Value, err
}

// DeleteAppRoleAssignment revokes one application permission of a service
// principal.
func (g *Graph) DeleteAppRoleAssignment(ctx context.Context, spID, id string) error {
	return call(ctx, g.hc, http.MethodDelete, g.base+"/servicePrincipals/"+url.PathEscape(spID)+"/appRoleAssignments/"+url.PathEscape(id), g.token, nil, nil)
}

// ResourceRoles reads a resource's service principal in the tenant (by
// its app id) and returns its id and its app roles' values by role id.
func (g *Graph) ResourceRoles(ctx context.Context, appID string) (string, map[string]string, error) {
	q := url.Values{"$filter": {"appId eq " + quote(appID)}, "$select": {"id,appId,appRoles"}}
	var body struct {
		Value []struct {
			ID       string `json:"id"`
			AppRoles []struct {
				ID    string `json:"id"`
				Value string `json:"value"`
			} `json:"appRoles"`
		} `json:"value"`
	}
	if err := call(ctx, g.hc, http.MethodGet, g.base+"/servicePrincipals?"+q.Encode(), g.token, nil, &body); err != nil {
		return "", nil, err
	}
	if len(body.Value) == 0 {
		return "", nil, &APIError{Status: http.StatusNotFound, Code: "Request_ResourceNotFound", Message: "no service principal for app " + appID}
	}
	roles := map[string]string{}
	for _, r := range body.Value[0].AppRoles {
		roles[r.ID] = r.Value
	}
	return body.Value[0].ID, roles, nil
}

// TeamsPhoneNumbers reads every Teams user's assigned telephone numbers
// (GET /admin/teams/userConfigurations, TeamsUserConfiguration.Read.All),
// following @odata.nextLink, by user id.
func (g *Graph) TeamsPhoneNumbers(ctx context.Context) (map[string][]string, error) {
	out := map[string][]string{}
	next := g.base + "/admin/teams/userConfigurations?" + url.Values{"$select": {"id,telephoneNumbers"}}.Encode()
	for page := 0; next != "" && page < 1000; page++ {
		var body struct {
			Value []struct {
				ID               string `json:"id"`
				TelephoneNumbers []struct {
					TelephoneNumber string `json:"telephoneNumber"`
				} `json:"telephoneNumbers"`
			} `json:"value"`
			Next string `json:"@odata.nextLink"`
		}
		if !strings.HasPrefix(next, g.base+"/") {
			return nil, &APIError{Status: http.StatusBadGateway, Code: "invalid_answer", Message: "nextLink leaves Graph: " + next}
		}
		if err := call(ctx, g.hc, http.MethodGet, next, g.token, nil, &body); err != nil {
			return nil, err
		}
		for _, u := range body.Value {
			for _, n := range u.TelephoneNumbers {
				if n.TelephoneNumber != "" {
					out[u.ID] = append(out[u.ID], n.TelephoneNumber)
				}
			}
			if _, ok := out[u.ID]; !ok {
				out[u.ID] = nil
			}
		}
		next = body.Next
	}
	return out, nil
}
