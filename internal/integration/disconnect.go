package integration

import (
	"context"
	"fmt"
	"strings"

	"callrec/internal/account"
	"callrec/internal/store"
	"callrec/internal/teams"
)

// DisconnectOptions is the Disconnect dialog: what to remove, and the
// organization domain typed as confirmation. The last two go beyond the
// guide so that nothing is left to do by hand.
type DisconnectOptions struct {
	Mode             string `json:"mode"`
	RemoveAssignment bool   `json:"remove_assignment"`
	RemoveGroup      bool   `json:"remove_group"`
	RemovePolicy     bool   `json:"remove_policy"`
	RemoveInstance   bool   `json:"remove_instance"`
	DeleteAppUser    bool   `json:"delete_app_user"`
	RevokeConsent    bool   `json:"revoke_consent"`
	ConfirmDomain    string `json:"confirm_domain"`
}

// DefaultDisconnect has every removal checked, as the guide's dialog does.
func DefaultDisconnect() DisconnectOptions {
	return DisconnectOptions{Mode: ModeAutomation, RemoveAssignment: true, RemoveGroup: true, RemovePolicy: true,
		RemoveInstance: true, DeleteAppUser: true, RevokeConsent: true}
}

// Disconnect checks the confirmation and, for automation, returns the
// Microsoft sign-in URL: the removal job starts once the admin has signed
// in again. For PowerShell it returns "" and the admin runs the script,
// then Verify.
func (s *Service) Disconnect(ctx context.Context, a account.Actor, tenantID string, o DisconnectOptions) (string, error) {
	var target string
	err := s.db.InTx(ctx, func(q store.Q) error {
		i, err := s.load(ctx, q, tenantID)
		if err != nil {
			return err
		}
		if i.Status != StatusConnected && i.Status != StatusDisconnectErr && i.Status != StatusFailed {
			return ErrWrongState
		}
		if o.Mode != ModeAutomation && o.Mode != ModePowerShell {
			return validateField("mode", "automation or powershell")
		}
		if !strings.EqualFold(strings.TrimSpace(o.ConfirmDomain), i.OrgDomain) {
			return validateField("confirm_domain", "type your organization's domain name ("+i.OrgDomain+") to confirm")
		}
		if i.Status == StatusDisconnectErr && i.JobKind == jobDisconnect {
			return ErrWrongState // a failed removal is resumed with Retry
		}
		i.JobOptions = encodeJSON(o)
		if o.Mode == ModePowerShell {
			i.JobKind, i.JobState = jobDisconnect, ""
			i.Mode = ModePowerShell
			if err := q.ReplaceIntegrationSteps(ctx, i.TenantID, i.ID, jobDisconnect, nil); err != nil {
				return err
			}
		} else {
			i.OAuthState, i.OAuthVerifier, i.OAuthPurpose = newState(), newVerifier(), purposeDisconnect
			target = s.oauth.AuthorizeURL(i.OrgID, i.OAuthState, i.OAuthVerifier, i.AuthorizedBy)
		}
		if err := s.save(ctx, q, &i); err != nil {
			return err
		}
		return s.audit(ctx, q, a, i, "disconnect.start", o)
	})
	return target, err
}

// queueDisconnect starts the removal job after the fresh sign-in.
func (s *Service) queueDisconnect(ctx context.Context, i *store.Integration) error {
	var o DisconnectOptions
	if err := decodeJSON(i.JobOptions, &o); err != nil {
		return err
	}
	r := &runner{opts: o}
	if err := decodeJSON(i.Config, &r.cfg); err != nil {
		return err
	}
	if err := s.queueJob(ctx, s.db.Q(), i, jobDisconnect, r.disconnectSteps()); err != nil {
		return err
	}
	i.Status = StatusDisconnecting
	return nil
}

// disconnectSteps are the removals, in the order that keeps dependencies
// valid; consent goes last because it ends callrec's access.
func (r *runner) disconnectSteps() []step {
	assign := "Remove Group Policy Assignment"
	if r.cfg.Scope == "all" {
		assign = "Remove Policy Assignment for All Users"
	}
	steps := []step{{"connect", "Connect to Teams Admin API", (*runner).connectAPI}}
	add := func(on bool, key, title string, run func(*runner, context.Context) (string, error)) {
		if on {
			steps = append(steps, step{key, title, run})
		}
	}
	add(r.opts.RemoveAssignment, "assignment", assign, (*runner).removeAssignment)
	add(r.opts.RemoveGroup && r.cfg.Scope == "group", "group", "Remove Group", (*runner).removeGroup)
	add(r.opts.RemovePolicy, "policy", "Remove Policy", (*runner).removePolicy)
	add(r.opts.RemoveInstance, "instance", "Remove Application Instance", (*runner).removeInstance)
	add(r.opts.DeleteAppUser, "app_user", "Delete Application User", (*runner).deleteAppUser)
	add(r.opts.RevokeConsent, "consent", "Revoke Admin Consent", (*runner).revokeConsent)
	return append(steps, step{"finish", "Finish", (*runner).finishDisconnect})
}

func gone(err error, what string) (string, error) {
	if err == nil {
		return "Removed " + what, nil
	}
	if teams.IsNotFound(err) {
		return "Already removed: " + what, nil
	}
	return "", err
}

func (r *runner) removeAssignment(ctx context.Context) (string, error) {
	if err := r.ensureClients(ctx); err != nil {
		return "", err
	}
	if r.cfg.Scope == "all" {
		cur, err := r.admin.GlobalPolicy(ctx)
		if err != nil {
			return "", err
		}
		if !strings.EqualFold(cur, r.cfg.PolicyName) {
			return "The tenant-wide policy is not ours; left as it is", nil
		}
		return gone(r.admin.GrantGlobal(ctx, ""), "the policy assignment for all users")
	}
	if r.res.GroupID == "" {
		return "No group was assigned", nil
	}
	a, err := r.admin.GetGroupAssignment(ctx, r.res.GroupID)
	if teams.IsNotFound(err) {
		return "Already removed: the group policy assignment", nil
	} else if err != nil {
		return "", err
	}
	if !strings.EqualFold(strings.TrimPrefix(a.PolicyName, "Tag:"), r.cfg.PolicyName) {
		return "The group's assignment is another policy's; left as it is", nil
	}
	return gone(r.admin.RemoveGroupAssignment(ctx, r.res.GroupID), "the group policy assignment")
}

func (r *runner) removeGroup(ctx context.Context) (string, error) {
	if err := r.ensureClients(ctx); err != nil {
		return "", err
	}
	if r.res.GroupID == "" {
		return "No group to remove", nil
	}
	return gone(r.graph.DeleteGroup(ctx, r.res.GroupID), fmt.Sprintf("group %q (its members stay users)", r.cfg.GroupName))
}

func (r *runner) removePolicy(ctx context.Context) (string, error) {
	if err := r.ensureClients(ctx); err != nil {
		return "", err
	}
	if r.res.InstanceObjectID != "" {
		if err := r.admin.DeleteRecordingApp(ctx, r.cfg.PolicyName, r.res.InstanceObjectID); err != nil && !teams.IsNotFound(err) {
			return "", err
		}
	}
	return gone(r.admin.DeletePolicy(ctx, r.cfg.PolicyName), fmt.Sprintf("recording policy %q", r.cfg.PolicyName))
}

// removeInstance removes the application instance the only documented
// way: Microsoft has no Remove-CsOnlineApplicationInstance, and an
// instance is a resource account, so deleting that account's user in the
// directory (Graph DELETE /users/{id}, as the admin would in the Microsoft
// 365 admin center) removes the instance with it.
func (r *runner) removeInstance(ctx context.Context) (string, error) {
	if err := r.ensureClients(ctx); err != nil {
		return "", err
	}
	if r.res.InstanceObjectID == "" {
		return "No application instance to remove", nil
	}
	return gone(r.graph.DeleteUser(ctx, r.res.InstanceObjectID), fmt.Sprintf("application instance %q with its resource account %s", r.cfg.AppName, r.res.InstanceUPN))
}

// deleteAppUser removes the resource account's user (the guide's manual
// step); after removeInstance it is already gone.
func (r *runner) deleteAppUser(ctx context.Context) (string, error) {
	if err := r.ensureClients(ctx); err != nil {
		return "", err
	}
	if r.res.InstanceObjectID == "" {
		return "No application user to delete", nil
	}
	return gone(r.graph.DeleteUser(ctx, r.res.InstanceObjectID), fmt.Sprintf("application user %s", r.res.InstanceUPN))
}

// revokeConsent deletes callrec's delegated permission grants in the
// tenant (the guide's "Revoke consent" in My Apps).
func (r *runner) revokeConsent(ctx context.Context) (string, error) {
	if err := r.ensureClients(ctx); err != nil {
		return "", err
	}
	spID := r.res.ServicePrincipalID
	if spID == "" {
		id, err := r.graph.ServicePrincipalID(ctx, r.s.ep.ClientID)
		if teams.IsNotFound(err) {
			return "Already revoked: no consent for " + r.s.product(ctx) + " in the tenant", nil
		}
		if err != nil {
			return "", err
		}
		spID = id
	}
	grants, err := r.graph.Grants(ctx, spID)
	if err != nil {
		return "", err
	}
	for _, g := range grants {
		if err := r.graph.DeleteGrant(ctx, g.ID); err != nil && !teams.IsNotFound(err) {
			return "", err
		}
	}
	roles, err := r.graph.AppRoleAssignments(ctx, spID)
	if err != nil {
		return "", err
	}
	for _, a := range roles {
		if err := r.graph.DeleteAppRoleAssignment(ctx, spID, a.ID); err != nil && !teams.IsNotFound(err) {
			return "", err
		}
	}
	return fmt.Sprintf("Revoked %d delegated permission grant(s) and %d application permission(s) of %s", len(grants), len(roles), r.s.product(ctx)), nil
}

// finishDisconnect lists what the admin chose to leave, as manual steps.
func (r *runner) finishDisconnect(ctx context.Context) (string, error) {
	r.res.ManualSteps = r.opts.manualSteps(r.cfg, r.res, r.s.product(ctx))
	if len(r.res.ManualSteps) == 0 {
		return "Disconnected: nothing is left to do in Microsoft 365", nil
	}
	return fmt.Sprintf("Disconnected; %d item(s) you chose to keep are listed below", len(r.res.ManualSteps)), nil
}

// manualSteps says, for each unchecked removal, how to do it by hand.
func (o DisconnectOptions) manualSteps(cfg Config, res Resources, product string) []string {
	var out []string
	if !o.RemoveAssignment {
		out = append(out, fmt.Sprintf("Teams admin center: remove the assignment of policy %q (Grant-CsTeamsComplianceRecordingPolicy / Remove-CsGroupPolicyAssignment).", cfg.PolicyName))
	}
	if !o.RemoveGroup && cfg.Scope == "group" {
		out = append(out, fmt.Sprintf("Microsoft 365 admin center > Teams & groups > Active teams & groups: delete group %q if it is no longer needed.", cfg.GroupName))
	}
	if !o.RemovePolicy {
		out = append(out, fmt.Sprintf("PowerShell: Remove-CsTeamsComplianceRecordingPolicy -Identity %q.", cfg.PolicyName))
	}
	if !o.RemoveInstance {
		out = append(out, fmt.Sprintf("Microsoft 365 admin center > Users > Active users: delete the resource account %s, which removes the application instance (Microsoft has no cmdlet that removes an application instance).", res.InstanceUPN))
	}
	if !o.DeleteAppUser {
		out = append(out, fmt.Sprintf("Microsoft 365 admin center > Users > Active users: delete the user %s.", res.InstanceUPN))
	}
	if !o.RevokeConsent {
		out = append(out, "Microsoft Entra admin center > Enterprise applications > "+product+" (the application you consented to) > Permissions: Revoke consent (delegated and application permissions), or delete the enterprise application.")
	}
	return out
}
