package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// Admin calls the Teams admin API (the REST behind the MicrosoftTeams
// PowerShell module) with a delegated Teams or Global administrator token.
// Every path and header is in docs/microsoft-contract.md with the public
// code that shows it; the paths no public source shows are marked
// unverified there and here, and a 404 or 405 from one fails at once with
// an UnverifiedError instead of passing for a replication delay.
type Admin struct {
	base  string
	hc    *http.Client
	token string

	mu     sync.Mutex
	routed http.Header // the service discovery's routing headers, once learned
}

// NewAdmin returns a Teams admin API client for one access token.
func NewAdmin(ep Endpoints, hc *http.Client, token string) *Admin {
	hc = orDefault(hc)
	return &Admin{base: strings.TrimRight(ep.TeamsAdminURL, "/"), hc: hc, token: token}
}

// Paths of the Teams admin API.
const (
	discoveryPath      = "/Teams.Tenant/serviceDiscovery"
	instancesPath      = "/Teams.PlatformService/v2/ApplicationInstances"
	policiesPath       = "/Skype.Policy/configurations/TeamsComplianceRecordingPolicy"
	recAppsPath        = "/Skype.Policy/configurations/TeamsComplianceRecordingApplication"
	assignmentsPath    = "/Skype.Policy/groupPolicyAssignments"
	tenantPoliciesPath = "/Skype.Policy/tenants/policies"
	// PolicyType is the policy type callrec assigns.
	PolicyType = "TeamsComplianceRecordingPolicy"
)

// UnverifiedError is a 404 or 405 from a Teams admin API path that no
// public source shows: most likely the path is wrong, which no retry will
// fix, so the admin is sent to the PowerShell path. It deliberately does
// not unwrap to *APIError, so IsNotFound does not read it as "gone".
type UnverifiedError struct {
	Operation string
	Status    string
	Detail    string
}

func (e *UnverifiedError) Error() string {
	return fmt.Sprintf("Microsoft's Teams admin API did not accept %s; use the PowerShell path (%s: %s)", e.Operation, e.Status, e.Detail)
}

// IsUnverified reports an UnverifiedError.
func IsUnverified(err error) bool {
	var ue *UnverifiedError
	return errors.As(err, &ue)
}

// op is one Teams admin API operation: the cmdlet it stands for, and
// whether public code shows its REST path.
type op struct {
	name     string
	verified bool
}

// discover runs the module's connect handshake once per client: GET
// /Teams.Tenant/serviceDiscovery names the tenant's admin service endpoint
// and forest, which later calls carry as X-MS-Target-Uri and X-MS-Forest.
func (a *Admin) discover(ctx context.Context) (http.Header, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.routed != nil {
		return a.routed, nil
	}
	var sd struct {
		Endpoints struct {
			ConfigAPIEndpoint    string `json:"ConfigApiEndpoint"`
			AdminServiceEndpoint string `json:"AdminServiceEndpoint"`
		} `json:"Endpoints"`
		Headers struct {
			Forest string `json:"X-MS-Forest"`
		} `json:"Headers"`
	}
	if err := call(ctx, a.hc, http.MethodGet, a.base+discoveryPath, a.token, nil, &sd); err != nil {
		return nil, err
	}
	if sd.Endpoints.AdminServiceEndpoint == "" {
		return nil, &APIError{Status: http.StatusBadGateway, Code: "invalid_answer", Message: "the Teams service discovery named no AdminServiceEndpoint"}
	}
	h := http.Header{}
	h.Set("X-MS-Target-Uri", "https://"+sd.Endpoints.AdminServiceEndpoint+"/")
	if sd.Headers.Forest != "" {
		h.Set("X-MS-Forest", sd.Headers.Forest)
	}
	a.routed = h
	return h, nil
}

// do sends one request after the discovery, with its routing headers and
// a fresh correlation id.
func (a *Admin) do(ctx context.Context, o op, method, path string, body, out any) error {
	routed, err := a.discover(ctx)
	if err != nil {
		return err
	}
	hdr := routed.Clone()
	hdr.Set("X-MS-CmdletName", o.name)
	err = callWith(ctx, a.hc, method, a.base+path, a.token, hdr, body, out)
	var ae *APIError
	if !o.verified && errors.As(err, &ae) && (ae.Status == http.StatusNotFound || ae.Status == http.StatusMethodNotAllowed) && !ae.Transient() {
		return &UnverifiedError{Operation: o.name, Status: ae.StatusText(), Detail: ae.Message}
	}
	return err
}

// Instance is an application instance (resource account) of a bot.
type Instance struct {
	ObjectID          string `json:"objectId"`
	UserPrincipalName string `json:"userPrincipalName"`
	DisplayName       string `json:"displayName"`
	ApplicationID     string `json:"applicationId"`
}

// Instances lists every application instance, following skipToken pages
// (Get-CsOnlineApplicationInstance).
func (a *Admin) Instances(ctx context.Context) ([]Instance, error) {
	var all []Instance
	skip := ""
	for page := 0; page < 1000; page++ {
		q := url.Values{"pageSize": {"100"}}
		if skip != "" {
			q.Set("skipToken", skip)
		}
		var body struct {
			Instances []Instance `json:"applicationInstances"`
			SkipToken *string    `json:"skipToken"`
		}
		if err := a.do(ctx, op{"Get-CsOnlineApplicationInstance", true}, http.MethodGet, instancesPath+"?"+q.Encode(), nil, &body); err != nil {
			return nil, err
		}
		all = append(all, body.Instances...)
		if body.SkipToken == nil || *body.SkipToken == "" {
			return all, nil
		}
		skip = *body.SkipToken
	}
	return all, nil
}

// GetInstance finds an instance by object id in the list (the list is the
// one instance read public code shows); a missing one is a 404 *APIError.
func (a *Admin) GetInstance(ctx context.Context, id string) (Instance, error) {
	all, err := a.Instances(ctx)
	if err != nil {
		return Instance{}, err
	}
	for _, in := range all {
		if strings.EqualFold(in.ObjectID, id) {
			return in, nil
		}
	}
	return Instance{}, &APIError{Status: http.StatusNotFound, Code: "NotFound", Message: "no application instance " + id}
}

// CreateInstance is New-CsOnlineApplicationInstance with the application id,
// which makes a separate Sync-CsOnlineApplicationInstance needless.
// Unverified: no public code shows this POST.
func (a *Admin) CreateInstance(ctx context.Context, upn, displayName, appID string) (Instance, error) {
	body := map[string]string{"UserPrincipalName": upn, "DisplayName": displayName, "ApplicationId": appID}
	var out Instance
	return out, a.do(ctx, op{"New-CsOnlineApplicationInstance", false}, http.MethodPost, instancesPath, body, &out)
}

// RecordingApp is a compliance recording application inside a policy.
type RecordingApp struct {
	Identity                        string `json:"Identity,omitempty"`
	Parent                          string `json:"Parent,omitempty"`
	ID                              string `json:"Id"`
	RequiredBeforeMeetingJoin       bool   `json:"RequiredBeforeMeetingJoin"`
	RequiredBeforeCallEstablishment bool   `json:"RequiredBeforeCallEstablishment"`
	RequiredDuringMeeting           bool   `json:"RequiredDuringMeeting"`
	RequiredDuringCall              bool   `json:"RequiredDuringCall"`
	ConcurrentInvitationCount       int    `json:"ConcurrentInvitationCount,omitempty"`
}

// Policy is a TeamsComplianceRecordingPolicy.
type Policy struct {
	Identity                                            string         `json:"Identity"`
	Enabled                                             bool           `json:"Enabled"`
	Description                                         string         `json:"Description"`
	WarnUserOnRemoval                                   bool           `json:"WarnUserOnRemoval"`
	DisableComplianceRecordingAudioNotificationForCalls bool           `json:"DisableComplianceRecordingAudioNotificationForCalls"`
	ComplianceRecordingApplications                     []RecordingApp `json:"ComplianceRecordingApplications,omitempty"`
}

// PolicyIdentity is how the API names a per-user policy.
func PolicyIdentity(name string) string { return "Tag:" + strings.TrimPrefix(name, "Tag:") }

// GetPolicy reads a policy by name (Get-CsTeamsComplianceRecordingPolicy);
// its ComplianceRecordingApplications come with it.
func (a *Admin) GetPolicy(ctx context.Context, name string) (Policy, error) {
	var out Policy
	return out, a.do(ctx, op{"Get-CsTeamsComplianceRecordingPolicy", true}, http.MethodGet, policiesPath+"/configuration/"+url.PathEscape(PolicyIdentity(name)), nil, &out)
}

// CreatePolicy is New-CsTeamsComplianceRecordingPolicy (without applications).
func (a *Admin) CreatePolicy(ctx context.Context, p Policy) (Policy, error) {
	p.Identity = PolicyIdentity(p.Identity)
	p.ComplianceRecordingApplications = nil
	var out Policy
	return out, a.do(ctx, op{"New-CsTeamsComplianceRecordingPolicy", true}, http.MethodPost, policiesPath, p, &out)
}

// DeletePolicy is Remove-CsTeamsComplianceRecordingPolicy.
func (a *Admin) DeletePolicy(ctx context.Context, name string) error {
	return a.do(ctx, op{"Remove-CsTeamsComplianceRecordingPolicy", true}, http.MethodDelete, policiesPath+"/configuration/"+url.PathEscape(PolicyIdentity(name)), nil, nil)
}

// GetRecordingApp finds the application of an instance inside a policy, as
// Get-CsTeamsComplianceRecordingPolicy lists it; a missing one is a 404.
func (a *Admin) GetRecordingApp(ctx context.Context, policy, instanceID string) (RecordingApp, error) {
	p, err := a.GetPolicy(ctx, policy)
	if err != nil {
		return RecordingApp{}, err
	}
	for _, app := range p.ComplianceRecordingApplications {
		if strings.EqualFold(app.ID, instanceID) {
			return app, nil
		}
	}
	return RecordingApp{}, &APIError{Status: http.StatusNotFound, Code: "NotFound", Message: "policy " + PolicyIdentity(policy) + " has no recording application " + instanceID}
}

// CreateRecordingApp is New-CsTeamsComplianceRecordingApplication. Every
// Required* flag is sent explicitly: Microsoft defaults them to true.
// Unverified: no public code shows this POST.
func (a *Admin) CreateRecordingApp(ctx context.Context, policy string, app RecordingApp) (RecordingApp, error) {
	app.Parent = PolicyIdentity(policy)
	app.Identity = ""
	var out RecordingApp
	return out, a.do(ctx, op{"New-CsTeamsComplianceRecordingApplication", false}, http.MethodPost, recAppsPath, app, &out)
}

// DeleteRecordingApp is Remove-CsTeamsComplianceRecordingApplication.
// Unverified: callers read the policy first, so a 404 here is the path's.
func (a *Admin) DeleteRecordingApp(ctx context.Context, policy, instanceID string) error {
	id := url.PathEscape(PolicyIdentity(policy)) + "/" + url.PathEscape(instanceID)
	return a.do(ctx, op{"Remove-CsTeamsComplianceRecordingApplication", false}, http.MethodDelete, recAppsPath+"/configuration/"+id, nil, nil)
}

// Assignment is a group policy assignment.
type Assignment struct {
	GroupID    string `json:"GroupId"`
	PolicyType string `json:"PolicyType"`
	PolicyName string `json:"PolicyName"`
	Rank       int    `json:"Rank"`
}

// GroupAssignments lists every group assignment of the compliance
// recording policy type, by rank (Get-CsGroupPolicyAssignment
// -PolicyType). Unverified: a collection answers an empty list, so a 404
// can only be the path's.
func (a *Admin) GroupAssignments(ctx context.Context) ([]Assignment, error) {
	var raw json.RawMessage
	err := a.do(ctx, op{"Get-CsGroupPolicyAssignment", false}, http.MethodGet, assignmentsPath+"?"+url.Values{"policyType": {PolicyType}}.Encode(), nil, &raw)
	if err != nil {
		return nil, err
	}
	var list []Assignment
	if len(raw) > 0 && raw[0] == '{' {
		var env struct {
			Value []Assignment `json:"value"`
		}
		err = json.Unmarshal(raw, &env)
		list = env.Value
	} else if len(raw) > 0 {
		err = json.Unmarshal(raw, &list)
	}
	if err != nil {
		return nil, fmt.Errorf("teams: group policy assignments: %w", err)
	}
	out := list[:0]
	for _, x := range list {
		if strings.EqualFold(x.PolicyType, PolicyType) {
			x.PolicyName = strings.TrimPrefix(x.PolicyName, "Tag:")
			out = append(out, x)
		}
	}
	return out, nil
}

// GetGroupAssignment finds the compliance recording assignment of a group
// in the list; none is a 404 *APIError.
func (a *Admin) GetGroupAssignment(ctx context.Context, groupID string) (Assignment, error) {
	list, err := a.GroupAssignments(ctx)
	if err != nil {
		return Assignment{}, err
	}
	for _, x := range list {
		if strings.EqualFold(x.GroupID, groupID) {
			return x, nil
		}
	}
	return Assignment{}, &APIError{Status: http.StatusNotFound, Code: "NotFound", Message: "no " + PolicyType + " assignment for group " + groupID}
}

func groupAssignmentPath(groupID string) string {
	return assignmentsPath + "/" + url.PathEscape(groupID) + "/policyTypes/" + PolicyType
}

// AssignToGroup is New-CsGroupPolicyAssignment at the given rank (1 is
// the highest): the type and group are in the path, the body carries the
// policy name and rank.
func (a *Admin) AssignToGroup(ctx context.Context, groupID, policy string, rank int) error {
	body := map[string]any{"PolicyName": strings.TrimPrefix(policy, "Tag:"), "Rank": rank}
	return a.do(ctx, op{"New-CsGroupPolicyAssignment", true}, http.MethodPatch, groupAssignmentPath(groupID), body, nil)
}

// RemoveGroupAssignment is Remove-CsGroupPolicyAssignment. Unverified:
// callers list first, so a 404 here is the path's.
func (a *Admin) RemoveGroupAssignment(ctx context.Context, groupID string) error {
	return a.do(ctx, op{"Remove-CsGroupPolicyAssignment", false}, http.MethodDelete, groupAssignmentPath(groupID), nil, nil)
}

// GlobalPolicy is the policy granted tenant-wide ("" when none).
// Unverified: the tenant-wide slot always exists, so a 404 is the path's.
func (a *Admin) GlobalPolicy(ctx context.Context) (string, error) {
	var out struct {
		PolicyName *string `json:"PolicyName"`
	}
	if err := a.do(ctx, op{"Get-CsTeamsComplianceRecordingPolicy -Global grant", false}, http.MethodGet, tenantPoliciesPath+"/"+PolicyType, nil, &out); err != nil {
		return "", err
	}
	if out.PolicyName == nil {
		return "", nil
	}
	return strings.TrimPrefix(*out.PolicyName, "Tag:"), nil
}

// GrantGlobal is Grant-CsTeamsComplianceRecordingPolicy -Global; an empty
// name revokes the tenant-wide grant.
func (a *Admin) GrantGlobal(ctx context.Context, policy string) error {
	var name any
	if policy != "" {
		name = strings.TrimPrefix(policy, "Tag:")
	}
	return a.do(ctx, op{"Grant-CsTeamsComplianceRecordingPolicy", true}, http.MethodPatch, tenantPoliciesPath+"/"+PolicyType, map[string]any{"PolicyName": name}, nil)
}
