package integration

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"callrec/internal/account"
	"callrec/internal/store"
)

// ps quotes a value as a PowerShell single-quoted string. PowerShell
// takes any of ' ‘ ’ ‚ ‛ as a single quote (a name typed in Word or Teams
// often has one): each is doubled, which PowerShell reads as that
// character, so no value can end the string and run as code.
func ps(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for _, r := range s {
		if isPSQuote(r) {
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}

// isPSQuote tells whether PowerShell's tokenizer treats r as a single quote.
func isPSQuote(r rune) bool {
	switch r {
	case '\'', '\u2018', '\u2019', '\u201a', '\u201b':
		return true
	}
	return false
}

// psComment makes text safe in a # comment: a line break would end the
// comment and run what follows.
func psComment(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\u0085' {
			return ' '
		}
		return r
	}, s)
}

func psBool(b bool) string {
	if b {
		return "$true"
	}
	return "$false"
}

// Script returns the PowerShell script for kind "connect" or "disconnect",
// filled in with the integration's configuration (MicrosoftTeams and
// Microsoft Graph PowerShell modules).
func (s *Service) Script(ctx context.Context, tenantID, kind string) (string, error) {
	v, err := s.Get(ctx, tenantID)
	if err != nil {
		return "", err
	}
	if v.OrgDomain == "" {
		return "", fmt.Errorf("%w: sign in to Microsoft first (Step 1) so the script can name your domain", ErrWrongState)
	}
	switch kind {
	case "connect":
		return connectScript(v, s.ep.ClientID, s.product(ctx)), nil
	case "disconnect":
		o := DefaultDisconnect()
		if v.Disconnect != nil {
			o = *v.Disconnect
		}
		return disconnectScript(v, o, s.product(ctx)), nil
	}
	return "", validateField("kind", "connect or disconnect")
}

func connectScript(v View, appID, product string) string {
	c := v.Config
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# %s: connect Microsoft Teams compliance recording for %s", psComment(product), psComment(v.OrgDomain))
	w("# Run in PowerShell 7 as a Global Administrator. Requires: Install-Module MicrosoftTeams, Microsoft.Graph.Groups")
	w("$ErrorActionPreference = 'Stop'")
	w("Connect-MicrosoftTeams -TenantId %s", ps(v.OrgID))
	w("Connect-MgGraph -TenantId %s -Scopes 'Group.ReadWrite.All','User.Read.All'", ps(v.OrgID))
	w("")
	w("# 1. Application instance (resource account) for the recorder bot")
	w("$instance = Get-CsOnlineApplicationInstance -Identities %s -ErrorAction SilentlyContinue", ps(c.AppUPNLocal+"@"+v.OrgDomain))
	w("if (-not $instance) {")
	w("  # With -ApplicationId the instance is mapped to the app at creation: no Sync needed.")
	w("  $instance = New-CsOnlineApplicationInstance -UserPrincipalName %s -DisplayName %s -ApplicationId %s", ps(c.AppUPNLocal+"@"+v.OrgDomain), ps(c.AppName), ps(appID))
	w("} elseif (-not $instance.ApplicationId) {")
	w("  # An existing instance without a mapping (Sync fails when one exists).")
	w("  Sync-CsOnlineApplicationInstance -ObjectId $instance.ObjectId -ApplicationId %s", ps(appID))
	w("} elseif ($instance.ApplicationId -ne %s) {", ps(appID))
	w("  throw %s", ps("The resource account "+c.AppUPNLocal+"@"+v.OrgDomain+" belongs to another application; choose another Application UPN in "+product+" (Step 3)."))
	w("}")
	w("")
	w("# 2. Recording policy and its recording application (Microsoft defaults the Required* flags to true: set each)")
	w("Start-Sleep -Seconds 30   # let the new instance replicate")
	w("New-CsTeamsComplianceRecordingPolicy -Identity %s -Enabled $true -Description %s -WarnUserOnRemoval $true -DisableComplianceRecordingAudioNotificationForCalls %s",
		ps(c.PolicyName), ps(c.PolicyDescription), psBool(!c.Notification))
	f := c.Flags
	w("New-CsTeamsComplianceRecordingApplication -Parent %s -Id $instance.ObjectId -RequiredBeforeMeetingJoin %s -RequiredBeforeCallEstablishment %s -RequiredDuringMeeting %s -RequiredDuringCall %s -ConcurrentInvitationCount 1",
		ps("Tag:"+c.PolicyName), psBool(f.RequiredBeforeMeetingJoin), psBool(f.RequiredBeforeCallEstablishment), psBool(f.RequiredDuringMeeting), psBool(f.RequiredDuringCall))
	w("Get-CsTeamsComplianceRecordingPolicy -Identity %s | Select-Object -ExpandProperty ComplianceRecordingApplications", ps("Tag:"+c.PolicyName))
	w("")
	if c.Scope == "group" {
		w("# 3. Recording group and the policy assignment")
		w("$group = Get-MgGroup -Filter %s", ps("mailNickname eq '"+strings.ReplaceAll(c.GroupNickname, "'", "''")+"'"))
		w("if (-not $group) {")
		w("  $group = New-MgGroup -DisplayName %s -MailNickname %s -MailEnabled:$true -SecurityEnabled:$true -GroupTypes 'Unified'", ps(c.GroupName), ps(c.GroupNickname))
		w("}")
		w("# Other vendors' compliance recording assignments keep their ranks: take the next free one.")
		w("$existing = @(Get-CsGroupPolicyAssignment -PolicyType TeamsComplianceRecordingPolicy)")
		w("$mine = $existing | Where-Object { $_.GroupId -eq $group.Id }")
		w("if ($mine -and $mine.PolicyName -ne %s) { throw %s }", ps(c.PolicyName), ps("Group "+c.GroupName+" already has another compliance recording policy; "+product+" does not displace it."))
		w("if (-not $mine) {")
		w("  New-CsGroupPolicyAssignment -GroupId $group.Id -PolicyType TeamsComplianceRecordingPolicy -PolicyName %s -Rank ($existing.Count + 1)", ps(c.PolicyName))
		w("}")
		w("")
		w("# Add the users to record to group \"%s\" (Microsoft 365 admin center > Teams & groups).", psComment(c.GroupName))
	} else {
		w("# 3. Assign the policy to all users of the organization")
		w("Grant-CsTeamsComplianceRecordingPolicy -Global -PolicyName %s", ps(c.PolicyName))
	}
	w("")
	w("# Then return to %s and press Verify.", psComment(product))
	return b.String()
}

func disconnectScript(v View, o DisconnectOptions, product string) string {
	c, res := v.Config, v.Resources
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# %s: disconnect Microsoft Teams compliance recording from %s", psComment(product), psComment(v.OrgDomain))
	w("# Other recording policies and applications in the tenant are not touched.")
	w("$ErrorActionPreference = 'Stop'")
	w("Connect-MicrosoftTeams -TenantId %s", ps(v.OrgID))
	w("Connect-MgGraph -TenantId %s -Scopes 'Group.ReadWrite.All','User.ReadWrite.All','DelegatedPermissionGrant.ReadWrite.All','Application.Read.All','AppRoleAssignment.ReadWrite.All'", ps(v.OrgID))
	if o.RemoveAssignment {
		if c.Scope == "group" && res.GroupID != "" {
			w("Remove-CsGroupPolicyAssignment -GroupId %s -PolicyType TeamsComplianceRecordingPolicy", ps(res.GroupID))
		} else if c.Scope == "all" {
			w("Grant-CsTeamsComplianceRecordingPolicy -Global -PolicyName $null")
		}
	}
	if o.RemoveGroup && c.Scope == "group" && res.GroupID != "" {
		w("Remove-MgGroup -GroupId %s   # members stay users", ps(res.GroupID))
	}
	if o.RemovePolicy {
		if res.InstanceObjectID != "" {
			w("Remove-CsTeamsComplianceRecordingApplication -Identity %s", ps("Tag:"+c.PolicyName+"/"+res.InstanceObjectID))
		}
		w("Remove-CsTeamsComplianceRecordingPolicy -Identity %s", ps("Tag:"+c.PolicyName))
	}
	if (o.RemoveInstance || o.DeleteAppUser) && res.InstanceObjectID != "" {
		w("# Microsoft has no cmdlet that removes an application instance: deleting its resource account removes it.")
		w("Remove-MgUser -UserId %s   # the resource account's user", ps(res.InstanceObjectID))
	}
	if o.RevokeConsent {
		w("$sp = Get-MgServicePrincipal -Filter %s", ps("appId eq '"+v.ApplicationID+"'"))
		w("Get-MgOauth2PermissionGrant -Filter \"clientId eq '$($sp.Id)'\" | ForEach-Object { Remove-MgOauth2PermissionGrant -OAuth2PermissionGrantId $_.Id }")
		w("Get-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $sp.Id | ForEach-Object { Remove-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $sp.Id -AppRoleAssignmentId $_.Id }")
	}
	w("")
	w("# Then return to %s and press Verify.", psComment(product))
	return b.String()
}

// Verify checks through Microsoft's APIs that the PowerShell script did its
// work: every object exists (connect) or the chosen ones are gone
// (disconnect). It sets the integration's status accordingly and returns
// what is still missing.
func (s *Service) Verify(ctx context.Context, a account.Actor, tenantID string) (View, []string, error) {
	i, err := s.load(ctx, s.db.Q(), tenantID)
	if err != nil {
		return View{}, nil, err
	}
	if i.Mode != ModePowerShell || i.TokensEnc == "" {
		return View{}, nil, ErrWrongState
	}
	r := &runner{s: s, i: &i}
	if err := decodeJSON(i.Config, &r.cfg); err != nil {
		return View{}, nil, err
	}
	if err := decodeJSON(i.Resources, &r.res); err != nil {
		return View{}, nil, err
	}
	if err := decodeJSON(i.JobOptions, &r.opts); err != nil {
		return View{}, nil, err
	}
	if _, err := r.connectAPI(ctx); err != nil {
		return View{}, nil, err
	}
	var problems []string
	disconnecting := i.JobKind == jobDisconnect
	if disconnecting {
		problems = r.verifyGone(ctx)
	} else {
		problems = r.verifyPresent(ctx)
	}
	err = s.db.InTx(ctx, func(q store.Q) error {
		cur, err := s.load(ctx, q, tenantID)
		if err != nil {
			return err
		}
		cur.Resources = encodeJSON(r.res)
		switch {
		case len(problems) == 0 && disconnecting:
			cur.Status, cur.TokensEnc, cur.AdminConsent = StatusDisconnected, "", false
		case len(problems) == 0:
			cur.Status = StatusConnected
		}
		if err := s.save(ctx, q, &cur); err != nil {
			return err
		}
		return s.audit(ctx, q, a, cur, "verify", map[string]any{"missing": problems, "status": cur.Status})
	})
	if err != nil {
		return View{}, nil, err
	}
	v, err := s.Get(ctx, tenantID)
	return v, problems, err
}

func (r *runner) verifyPresent(ctx context.Context) []string {
	var out []string
	upn := r.appUPN()
	all, err := r.admin.Instances(ctx)
	found := false
	for _, in := range all {
		if strings.EqualFold(in.UserPrincipalName, upn) && in.ApplicationID == r.s.ep.ClientID {
			r.res.InstanceObjectID, r.res.InstanceUPN, found = in.ObjectID, in.UserPrincipalName, true
		}
	}
	if err != nil || !found {
		return append(out, "Application instance "+upn+" for "+r.s.product(ctx)+"'s application was not found")
	}
	if _, err := r.admin.GetPolicy(ctx, r.cfg.PolicyName); err != nil {
		out = append(out, fmt.Sprintf("Recording policy %q was not found", r.cfg.PolicyName))
	} else if _, err := r.admin.GetRecordingApp(ctx, r.cfg.PolicyName, r.res.InstanceObjectID); err != nil {
		out = append(out, fmt.Sprintf("Policy %q has no recording application for %s", r.cfg.PolicyName, upn))
	}
	if r.cfg.Scope == "all" {
		if cur, err := r.admin.GlobalPolicy(ctx); err != nil || !strings.EqualFold(cur, r.cfg.PolicyName) {
			out = append(out, fmt.Sprintf("Policy %q is not assigned to all users", r.cfg.PolicyName))
		}
		return out
	}
	g, err := r.graph.FindGroupByMailNickname(ctx, r.cfg.GroupNickname)
	if err != nil {
		return append(out, fmt.Sprintf("Group %s was not found", r.groupUPN()))
	}
	r.res.GroupID, r.res.GroupMail = g.ID, g.Mail
	if a, err := r.admin.GetGroupAssignment(ctx, g.ID); err != nil || !strings.EqualFold(strings.TrimPrefix(a.PolicyName, "Tag:"), r.cfg.PolicyName) {
		out = append(out, fmt.Sprintf("Policy %q is not assigned to group %q", r.cfg.PolicyName, g.DisplayName))
	}
	return out
}

func (r *runner) verifyGone(ctx context.Context) []string {
	var out []string
	still := func(err error, what string) {
		if err == nil {
			out = append(out, what+" still exists")
		}
	}
	o := r.opts
	if o.RemoveAssignment && r.cfg.Scope == "group" && r.res.GroupID != "" {
		_, err := r.admin.GetGroupAssignment(ctx, r.res.GroupID)
		still(err, "The group policy assignment")
	}
	if o.RemoveAssignment && r.cfg.Scope == "all" {
		if cur, err := r.admin.GlobalPolicy(ctx); err == nil && strings.EqualFold(cur, r.cfg.PolicyName) {
			out = append(out, "The policy assignment for all users still exists")
		}
	}
	if o.RemoveGroup && r.cfg.Scope == "group" && r.res.GroupID != "" {
		_, err := r.graph.GetGroup(ctx, r.res.GroupID)
		still(err, fmt.Sprintf("Group %q", r.cfg.GroupName))
	}
	if o.RemovePolicy {
		_, err := r.admin.GetPolicy(ctx, r.cfg.PolicyName)
		still(err, fmt.Sprintf("Recording policy %q", r.cfg.PolicyName))
	}
	if o.RemoveInstance && r.res.InstanceObjectID != "" {
		_, err := r.admin.GetInstance(ctx, r.res.InstanceObjectID)
		still(err, "The application instance")
	}
	if o.DeleteAppUser && r.res.InstanceObjectID != "" {
		_, err := r.graph.GetUser(ctx, r.res.InstanceObjectID)
		still(err, "The application user "+r.res.InstanceUPN)
	}
	if len(out) == 0 {
		r.res.ManualSteps = o.manualSteps(r.cfg, r.res, r.s.product(ctx))
	}
	return out
}
