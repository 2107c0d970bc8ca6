package teams

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// Admin calls the Teams admin API (the REST behind the MicrosoftTeams
// PowerShell module) with a delegated Teams or Global administrator token.
type Admin struct {
	base  string
	hc    *http.Client
	token string
}

// NewAdmin returns a Teams admin API client for one access token.
func NewAdmin(ep Endpoints, hc *http.Client, token string) *Admin {
	hc = orDefault(hc)
	return &Admin{base: strings.TrimRight(ep.TeamsAdminURL, "/"), hc: hc, token: token}
}

const (
	instancesPath   = "/Teams.PlatformService/v2/ApplicationInstances"
	policiesPath    = "/Skype.Policy/configurations/TeamsComplianceRecordingPolicy"
	recAppsPath     = "/Skype.Policy/configurations/TeamsComplianceRecordingApplication"
	assignmentsPath = "/Skype.Policy/groupPolicyAssignments"
	// PolicyType is the policy type callrec assigns.
	PolicyType = "TeamsComplianceRecordingPolicy"
)

// Instance is an application instance (resource account) of a bot.
type Instance struct {
	ObjectID          string `json:"objectId"`
	UserPrincipalName string `json:"userPrincipalName"`
	DisplayName       string `json:"displayName"`
	ApplicationID     string `json:"applicationId"`
}

// Instances lists every application instance, following skipToken pages.
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
		if err := call(ctx, a.hc, http.MethodGet, a.base+instancesPath+"?"+q.Encode(), a.token, nil, &body); err != nil {
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

// CreateInstance is New-CsOnlineApplicationInstance with the application id,
// which makes a separate sync needless.
func (a *Admin) CreateInstance(ctx context.Context, upn, displayName, appID string) (Instance, error) {
	body := map[string]string{"UserPrincipalName": upn, "DisplayName": displayName, "ApplicationId": appID}
	var out Instance
	return out, call(ctx, a.hc, http.MethodPost, a.base+instancesPath, a.token, body, &out)
}

// GetInstance reads an instance by object id.
func (a *Admin) GetInstance(ctx context.Context, id string) (Instance, error) {
	var out Instance
	return out, call(ctx, a.hc, http.MethodGet, a.base+instancesPath+"/"+url.PathEscape(id), a.token, nil, &out)
}

// DeleteInstance removes an instance; its user stays in the directory.
func (a *Admin) DeleteInstance(ctx context.Context, id string) error {
	return call(ctx, a.hc, http.MethodDelete, a.base+instancesPath+"/"+url.PathEscape(id), a.token, nil, nil)
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

// GetPolicy reads a policy by name.
func (a *Admin) GetPolicy(ctx context.Context, name string) (Policy, error) {
	var out Policy
	return out, call(ctx, a.hc, http.MethodGet, a.base+policiesPath+"/configuration/"+url.PathEscape(PolicyIdentity(name)), a.token, nil, &out)
}

// CreatePolicy is New-CsTeamsComplianceRecordingPolicy (without applications).
func (a *Admin) CreatePolicy(ctx context.Context, p Policy) (Policy, error) {
	p.Identity = PolicyIdentity(p.Identity)
	p.ComplianceRecordingApplications = nil
	var out Policy
	return out, call(ctx, a.hc, http.MethodPost, a.base+policiesPath, a.token, p, &out)
}

// DeletePolicy is Remove-CsTeamsComplianceRecordingPolicy.
func (a *Admin) DeletePolicy(ctx context.Context, name string) error {
	return call(ctx, a.hc, http.MethodDelete, a.base+policiesPath+"/configuration/"+url.PathEscape(PolicyIdentity(name)), a.token, nil, nil)
}

func recAppIdentity(policy, instanceID string) string {
	return url.PathEscape(PolicyIdentity(policy)) + "/" + url.PathEscape(instanceID)
}

// GetRecordingApp reads the application of an instance inside a policy.
func (a *Admin) GetRecordingApp(ctx context.Context, policy, instanceID string) (RecordingApp, error) {
	var out RecordingApp
	return out, call(ctx, a.hc, http.MethodGet, a.base+recAppsPath+"/configuration/"+recAppIdentity(policy, instanceID), a.token, nil, &out)
}

// CreateRecordingApp is New-CsTeamsComplianceRecordingApplication. Every
// Required* flag is sent explicitly: Microsoft defaults them to true.
func (a *Admin) CreateRecordingApp(ctx context.Context, policy string, app RecordingApp) (RecordingApp, error) {
	app.Parent = PolicyIdentity(policy)
	app.Identity = ""
	var out RecordingApp
	return out, call(ctx, a.hc, http.MethodPost, a.base+recAppsPath, a.token, app, &out)
}

// DeleteRecordingApp is Remove-CsTeamsComplianceRecordingApplication.
func (a *Admin) DeleteRecordingApp(ctx context.Context, policy, instanceID string) error {
	return call(ctx, a.hc, http.MethodDelete, a.base+recAppsPath+"/configuration/"+recAppIdentity(policy, instanceID), a.token, nil, nil)
}

// Assignment is a group policy assignment.
type Assignment struct {
	GroupID    string `json:"GroupId"`
	PolicyType string `json:"PolicyType"`
	PolicyName string `json:"PolicyName"`
	Rank       int    `json:"Rank"`
}

// GetGroupAssignment reads the compliance recording assignment of a group.
func (a *Admin) GetGroupAssignment(ctx context.Context, groupID string) (Assignment, error) {
	var out Assignment
	return out, call(ctx, a.hc, http.MethodGet, a.base+assignmentsPath+"/"+url.PathEscape(groupID)+"/"+PolicyType, a.token, nil, &out)
}

// AssignToGroup is New-CsGroupPolicyAssignment with rank 1.
func (a *Admin) AssignToGroup(ctx context.Context, groupID, policy string) (Assignment, error) {
	body := Assignment{GroupID: groupID, PolicyType: PolicyType, PolicyName: strings.TrimPrefix(policy, "Tag:"), Rank: 1}
	var out Assignment
	return out, call(ctx, a.hc, http.MethodPost, a.base+assignmentsPath, a.token, body, &out)
}

// RemoveGroupAssignment is Remove-CsGroupPolicyAssignment.
func (a *Admin) RemoveGroupAssignment(ctx context.Context, groupID string) error {
	return call(ctx, a.hc, http.MethodDelete, a.base+assignmentsPath+"/"+url.PathEscape(groupID)+"/"+PolicyType, a.token, nil, nil)
}

// GlobalPolicy is the policy granted tenant-wide ("" when none).
func (a *Admin) GlobalPolicy(ctx context.Context) (string, error) {
	var out struct {
		PolicyName *string `json:"PolicyName"`
	}
	if err := call(ctx, a.hc, http.MethodGet, a.base+"/Skype.Policy/global", a.token, nil, &out); err != nil {
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
	return call(ctx, a.hc, http.MethodPut, a.base+"/Skype.Policy/global", a.token, map[string]any{"PolicyType": PolicyType, "PolicyName": name}, nil)
}
