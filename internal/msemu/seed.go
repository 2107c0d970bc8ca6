package msemu

import (
	"strings"

	"github.com/google/uuid"
)

// Seeded, stable identifiers: the same on every start, so a demo's printed
// configuration stays valid without a snapshot.
const (
	ContosoTenantID   = "3f6d2a8e-6c4b-4e0c-9b7a-2d1f0c9e8a71"
	ContosoDomain     = "contoso.onmicrosoft.com"
	FabrikamTenantID  = "b8e4c1d2-7a35-4f96-8e21-5c0d9a3b6f14"
	FabrikamDomain    = "fabrikam.onmicrosoft.com"
	CallrecClientID   = "c19b28f1-5292-4de8-ace7-b0cc6c491eec"
	CallrecSecret     = "emu~callrec-secret-7Qx2Lr9Vw4Zt"
	AdminPassword     = "Contoso-Admin-1!"
	UserPassword      = "Contoso-User-1!"
	FabrikamPassword  = "Fabrikam-Admin-1!"
	callrecPublisher  = "callrec"
	callrecAppDisplay = "callrec"
)

// stableID derives a fixed GUID from a name.
func stableID(name string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("msemu:"+name)).String()
}

type seedUser struct {
	first, last, title, phone string
	roles                     []string
}

// contosoPeople are the seeded Contoso users; the first two are admins.
func contosoPeople() []seedUser {
	return []seedUser{
		{"Adele", "Vance", "Global Administrator", "+14255550101", []string{RoleGlobalAdmin}},
		{"Lee", "Gu", "Teams Administrator", "+14255550102", []string{RoleTeamsAdmin}},
		{"Alex", "Wilber", "Marketing Assistant", "+14255550103", nil},
		{"Allan", "Deyoung", "IT Admin", "", nil},
		{"Christie", "Cline", "Buyer", "+14255550105", nil},
		{"Debra", "Berger", "Administrative Assistant", "+14255550106", nil},
		{"Diego", "Siciliani", "HR Manager", "", nil},
		{"Emily", "Braun", "Budget Analyst", "+14255550108", nil},
		{"Enrico", "Cattaneo", "Attorney", "", nil},
		{"Grady", "Archie", "Designer", "+14255550110", nil},
		{"Henrietta", "Mueller", "Developer", "", nil},
		{"Irvin", "Sayers", "Director", "+14255550112", nil},
		{"Isaiah", "Langer", "Sales Rep", "+14255550113", nil},
		{"Johanna", "Lorenz", "Senior Engineer", "", nil},
		{"Joni", "Sherman", "Paralegal", "", nil},
		{"Lidia", "Holloway", "Product Manager", "+14255550116", nil},
		{"Lynne", "Robbins", "Planner", "", nil},
		{"Megan", "Bowen", "Marketing Manager", "+14255550118", nil},
		{"Miriam", "Graham", "Director", "", nil},
		{"Nestor", "Wilke", "Director", "+14255550120", nil},
		{"Patti", "Fernandez", "President", "+14255550121", nil},
		{"Pradeep", "Gupta", "Accountant", "", nil},
	}
}

// seedWorld builds the initial cloud: Contoso, Fabrikam and callrec's app.
func seedWorld(o *Options) *world {
	w := &world{
		Tenants:  map[string]*tenant{},
		Apps:     map[string]*appRegistration{},
		Codes:    map[string]*authCode{},
		Refresh:  map[string]*refreshToken{},
		Flows:    map[string]*authFlow{},
		Sessions: map[string][]string{},
	}
	contoso := newTenant(ContosoTenantID, "Contoso", ContosoDomain)
	for _, p := range contosoPeople() {
		pw := UserPassword
		if len(p.roles) > 0 {
			pw = AdminPassword
		}
		addSeedUser(contoso, p, pw)
	}
	seedGroups(contoso)
	w.Tenants[contoso.ID] = contoso

	fabrikam := newTenant(FabrikamTenantID, "Fabrikam", FabrikamDomain)
	addSeedUser(fabrikam, seedUser{"Mona", "Kane", "Global Administrator", "+13125550101", []string{RoleGlobalAdmin}}, FabrikamPassword)
	addSeedUser(fabrikam, seedUser{"Kat", "Larsson", "Engineer", "", nil}, FabrikamPassword)
	w.Tenants[fabrikam.ID] = fabrikam

	w.Apps[CallrecClientID] = callrecApp(o)
	return w
}

func newTenant(id, name, domain string) *tenant {
	t := &tenant{
		ID: id, DisplayName: name, Domain: domain,
		Users:             map[string]*user{},
		Groups:            map[string]*group{},
		ServicePrincipals: map[string]*servicePrincipal{},
		Grants:            map[string]*permissionGrant{},
		Instances:         map[string]*appInstance{},
		Policies:          map[string]*recordingPolicy{},
		UserPolicies:      map[string]string{},
	}
	for _, r := range catalogue() {
		sp := &servicePrincipal{ID: stableID(id + "/sp/" + r.AppID), AppID: r.AppID, DisplayName: r.DisplayName}
		t.ServicePrincipals[sp.ID] = sp
	}
	t.Policies["Global"] = &recordingPolicy{Identity: "Global", WarnUserOnRemoval: true}
	return t
}

func addSeedUser(t *tenant, p seedUser, password string) {
	upn := p.first + strings.ToUpper(p.last[:1]) + "@" + t.Domain
	u := &user{
		ID: stableID(t.ID + "/user/" + upn), DisplayName: p.first + " " + p.last,
		GivenName: p.first, Surname: p.last, UPN: upn, JobTitle: p.title,
		Password: password, Roles: p.roles, BusinessPhones: []string{},
	}
	if p.phone != "" {
		u.BusinessPhones = []string{p.phone}
	}
	t.Users[u.ID] = u
}

func seedGroups(t *tenant) {
	for _, g := range []struct {
		name, nick string
		unified    bool
	}{
		{"Mark 8 Project Team", "Mark8ProjectTeam", true},
		{"Digital Initiative Public Relations", "DigitalInitiativePublicRelations", true},
		{"Sales and Marketing", "SalesAndMarketing", false},
	} {
		grp := &group{
			ID: stableID(t.ID + "/group/" + g.nick), DisplayName: g.name, MailNickname: g.nick,
			SecurityEnabled: !g.unified, MailEnabled: g.unified, GroupTypes: []string{},
		}
		if g.unified {
			grp.GroupTypes = []string{"Unified"}
		}
		t.Groups[grp.ID] = grp
	}
}

// callrecApp is the multi-tenant app registration callrec signs in with.
func callrecApp(o *Options) *appRegistration {
	return &appRegistration{
		ClientID:       CallrecClientID,
		Secret:         CallrecSecret,
		DisplayName:    callrecAppDisplay,
		Publisher:      callrecPublisher,
		RedirectURIs:   o.AppRedirectURIs,
		RedirectPrefix: o.AppRedirectPrefix,
		Delegated: map[string][]string{
			// Beyond the guide's consent screen: deleting the resource
			// account's user and revoking the consent grant on disconnect
			// need User.ReadWrite.All, Application.Read.All and
			// DelegatedPermissionGrant.ReadWrite.All.
			GraphAppID: {"openid", "profile", "email", "offline_access", "User.Read", "User.Read.All", "User.ReadWrite.All",
				"Group.ReadWrite.All", "AppCatalog.ReadWrite.All", "Application.Read.All", "DelegatedPermissionGrant.ReadWrite.All",
				"AppRoleAssignment.ReadWrite.All", "TeamsUserConfiguration.Read.All"},
			TeamsAdminAppID: {"user_impersonation"},
		},
		Application: map[string][]string{
			GraphAppID: {"Calls.AccessMedia.All", "Calls.Initiate.All", "Calls.InitiateGroupCall.All",
				"Calls.JoinGroupCall.All", "Calls.JoinGroupCallAsGuest.All", "Group.Read.All", "User.Read.All"},
		},
		CallingWebhook: o.CallingWebhookURL,
	}
}
