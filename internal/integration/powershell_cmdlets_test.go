package integration

import (
	"regexp"
	"strings"
	"testing"
)

// documentedCmdlets are the cmdlets the scripts may call: each has a page
// in Microsoft's MicrosoftTeams or Microsoft Graph PowerShell reference
// (docs/microsoft-contract.md, "PowerShell path").
var documentedCmdlets = map[string]bool{
	"Connect-MicrosoftTeams": true, "Connect-MgGraph": true,
	"Get-CsOnlineApplicationInstance": true, "New-CsOnlineApplicationInstance": true, "Sync-CsOnlineApplicationInstance": true,
	"New-CsTeamsComplianceRecordingPolicy": true, "New-CsTeamsComplianceRecordingApplication": true, "Get-CsTeamsComplianceRecordingPolicy": true,
	"Remove-CsTeamsComplianceRecordingPolicy": true, "Remove-CsTeamsComplianceRecordingApplication": true,
	"Get-CsGroupPolicyAssignment": true, "New-CsGroupPolicyAssignment": true, "Remove-CsGroupPolicyAssignment": true,
	"Grant-CsTeamsComplianceRecordingPolicy": true,
	"Get-MgGroup":                            true, "New-MgGroup": true, "Remove-MgGroup": true, "Remove-MgUser": true,
	"Get-MgServicePrincipal": true, "Get-MgOauth2PermissionGrant": true, "Remove-MgOauth2PermissionGrant": true,
	"Get-MgServicePrincipalAppRoleAssignment": true, "Remove-MgServicePrincipalAppRoleAssignment": true,
	"Select-Object": true, "ForEach-Object": true, "Where-Object": true, "Start-Sleep": true, "Install-Module": true,
}

var cmdletRe = regexp.MustCompile(`\b[A-Z][a-z]+-[A-Z][A-Za-z0-9]+\b`)

// The scripts call documented cmdlets only (there is no
// Remove-CsOnlineApplicationInstance), sync an instance only when it has no
// application mapping, and assign with a rank after reading the others.
func TestScriptsUseDocumentedCmdletsOnly(t *testing.T) {
	for _, scope := range []string{"group", "all"} {
		cfg := DefaultConfig()
		cfg.Scope = scope
		v := View{OrgDomain: "contoso.onmicrosoft.com", OrgID: "tid", Config: cfg, ApplicationID: "app",
			Resources: Resources{InstanceObjectID: "inst", GroupID: "grp"}}
		scripts := map[string]string{"connect": connectScript(v, "app", "callrec"), "disconnect": disconnectScript(v, DefaultDisconnect(), "callrec")}
		for kind, s := range scripts {
			code, _, _ := psTokens(t, s)
			found := cmdletRe.FindAllString(code, -1)
			if len(found) < 4 {
				t.Fatalf("%s %s: only %v found: the scan is broken", scope, kind, found)
			}
			for _, c := range found {
				if !documentedCmdlets[c] {
					t.Errorf("%s %s script calls %s, which Microsoft does not document", scope, kind, c)
				}
			}
		}
		c := scripts["connect"]
		if i, j := strings.Index(c, "elseif (-not $instance.ApplicationId)"), strings.Index(c, "Sync-CsOnlineApplicationInstance"); i < 0 || j < i {
			t.Errorf("%s: Sync runs unconditionally:\n%s", scope, c)
		}
		if scope == "group" && (!strings.Contains(c, "Get-CsGroupPolicyAssignment -PolicyType TeamsComplianceRecordingPolicy") || !strings.Contains(c, "-Rank ($existing.Count + 1)")) {
			t.Errorf("group assignment does not read the others first:\n%s", c)
		}
	}
}
