package integration

import (
	"context"
	"fmt"
	"strings"

	"callrec/internal/account"
	"callrec/internal/store"
	"callrec/internal/teams"
)

// Configure saves Step 3.
func (s *Service) Configure(ctx context.Context, a account.Actor, tenantID string, cfg Config) (View, error) {
	if err := cfg.Validate(); err != nil {
		return View{}, err
	}
	err := s.db.InTx(ctx, func(q store.Q) error {
		i, err := s.load(ctx, q, tenantID)
		if err != nil {
			return err
		}
		if !i.AdminConsent || (i.Status != StatusConsented && i.Status != StatusConfigured && i.Status != StatusFailed) {
			return ErrWrongState
		}
		i.Config = encodeJSON(cfg)
		if i.Status == StatusConsented {
			i.Status = StatusConfigured
		}
		if err := s.save(ctx, q, &i); err != nil {
			return err
		}
		return s.audit(ctx, q, a, i, "configure", cfg)
	})
	if err != nil {
		return View{}, err
	}
	return s.Get(ctx, tenantID)
}

// Apply queues the provisioning job (Step 4, automation).
func (s *Service) Apply(ctx context.Context, a account.Actor, tenantID string) (View, error) {
	err := s.db.InTx(ctx, func(q store.Q) error {
		i, err := s.load(ctx, q, tenantID)
		if err != nil {
			return err
		}
		if i.Mode != ModeAutomation || i.Status != StatusConfigured {
			return ErrWrongState
		}
		var cfg Config
		if err := decodeJSON(i.Config, &cfg); err != nil {
			return err
		}
		r := &runner{cfg: cfg}
		if err := s.queueJob(ctx, q, &i, jobConnect, r.connectSteps()); err != nil {
			return err
		}
		i.Status = StatusApplying
		if err := s.save(ctx, q, &i); err != nil {
			return err
		}
		return s.audit(ctx, q, a, i, "apply", nil)
	})
	if err != nil {
		return View{}, err
	}
	s.publish(ctx, tenantID)
	return s.Get(ctx, tenantID)
}

// Retry queues a failed job again; finished steps are not repeated.
func (s *Service) Retry(ctx context.Context, a account.Actor, tenantID string) (View, error) {
	err := s.db.InTx(ctx, func(q store.Q) error {
		i, err := s.load(ctx, q, tenantID)
		if err != nil {
			return err
		}
		if i.JobState != jobFailed {
			return ErrWrongState
		}
		i.JobState, i.NotBefore = jobQueued, nil
		i.Status = StatusApplying
		if i.JobKind == jobDisconnect {
			i.Status = StatusDisconnecting
		}
		if err := s.save(ctx, q, &i); err != nil {
			return err
		}
		return s.audit(ctx, q, a, i, "retry", map[string]string{"job": i.JobKind})
	})
	if err != nil {
		return View{}, err
	}
	s.publish(ctx, tenantID)
	return s.Get(ctx, tenantID)
}

// connectSteps are the guide's Step 4 tasks for this configuration.
func (r *runner) connectSteps() []step {
	steps := []step{
		{"connect", "Connect to Teams Admin API", (*runner).connectAPI},
		{"instance", "Create Application Instance", (*runner).createInstance},
		{"policy", "Create Recording Policy", (*runner).createPolicy},
	}
	if r.cfg.Scope == "group" {
		steps = append(steps,
			step{"group", "Create Group", (*runner).createGroup},
			step{"assign", "Assign Policy to Group", (*runner).assignToGroup})
	} else {
		steps = append(steps, step{"assign", "Assign Policy to All Users", (*runner).assignGlobal})
	}
	return append(steps, step{"finalize", "Finalize", (*runner).finalize})
}

func (r *runner) appUPN() string   { return r.cfg.AppUPNLocal + "@" + r.i.OrgDomain }
func (r *runner) groupUPN() string { return r.cfg.GroupNickname + "@" + r.i.OrgDomain }

// connectAPI gets tokens for Graph and the Teams admin API and reads the
// organization, which must be the one the admin signed in to.
func (r *runner) connectAPI(ctx context.Context) (string, error) {
	g, a, err := r.s.clients(ctx, r.i)
	if err != nil {
		return "", permanent("%v — sign in to Microsoft again (Step 1).", err)
	}
	org, err := g.Organization(ctx)
	if err != nil {
		return "", err
	}
	if org.ID != r.i.OrgID {
		return "", permanent("the token belongs to organization %s, not %s", org.ID, r.i.OrgID)
	}
	r.graph, r.admin = g, a
	r.i.OrgDomain = org.InitialDomain
	return fmt.Sprintf("Organization domain: %s, ID: %s", org.InitialDomain, org.ID), nil
}

// ensureClients reconnects when a job resumes past the connect step.
func (r *runner) ensureClients(ctx context.Context) error {
	if r.graph != nil {
		return nil
	}
	_, err := r.connectAPI(ctx)
	return err
}

func (r *runner) createInstance(ctx context.Context) (string, error) {
	if err := r.ensureClients(ctx); err != nil {
		return "", err
	}
	if r.res.InstanceObjectID != "" {
		if _, err := r.admin.GetInstance(ctx, r.res.InstanceObjectID); err == nil || teams.IsTransient(err) {
			if r.res.InstanceCreated {
				return "Successfully created an application instance", err
			}
			return "Found existing application instance " + r.res.InstanceUPN, err
		}
	}
	all, err := r.admin.Instances(ctx)
	if err != nil {
		return "", err
	}
	upn := r.appUPN()
	for _, in := range all {
		if strings.EqualFold(in.UserPrincipalName, upn) {
			if in.ApplicationID != r.s.ep.ClientID {
				return "", permanent("%s is already the resource account of another application (%s); choose another Application UPN in Step 3", upn, in.ApplicationID)
			}
			r.res.InstanceObjectID, r.res.InstanceUPN = in.ObjectID, in.UserPrincipalName
			return "Found existing application instance " + upn, r.saveResources(ctx)
		}
	}
	in, err := r.admin.CreateInstance(ctx, upn, r.cfg.AppName, r.s.ep.ClientID)
	if err != nil {
		return "", conflictIsReplication(err)
	}
	r.res.InstanceObjectID, r.res.InstanceUPN, r.res.InstanceCreated = in.ObjectID, in.UserPrincipalName, true
	return "Successfully created an application instance", r.saveResources(ctx)
}

// conflictIsReplication treats "already exists" after a list that did not
// show the object as replication lag: listing again later will find it.
func conflictIsReplication(err error) error {
	var ae *teams.APIError
	if asAPI(err, &ae) && ae.Status == 409 {
		return notReplicated(err)
	}
	return err
}

func (r *runner) createPolicy(ctx context.Context) (string, error) {
	if err := r.ensureClients(ctx); err != nil {
		return "", err
	}
	msg := "Found existing recording policy " + r.cfg.PolicyName
	if r.res.PolicyCreated {
		// An earlier attempt of this step made it; the retry must not say "found".
		msg = "Successfully created a recording policy"
	}
	if _, err := r.admin.GetPolicy(ctx, r.cfg.PolicyName); teams.IsNotFound(err) && !r.res.PolicyCreated {
		_, err := r.admin.CreatePolicy(ctx, teams.Policy{Identity: r.cfg.PolicyName, Enabled: true, Description: r.cfg.PolicyDescription,
			WarnUserOnRemoval: true, DisableComplianceRecordingAudioNotificationForCalls: !r.cfg.Notification})
		if err != nil {
			return "", err
		}
		r.res.PolicyCreated = true
		if err := r.saveResources(ctx); err != nil {
			return "", err
		}
		msg = "Successfully created a recording policy"
	} else if err != nil && !teams.IsNotFound(err) {
		return "", err
	}
	// Read the policy back before adding the application to it: a policy
	// that has not replicated yet is a race worth retrying, while a 404 from
	// the (unverified) application path afterwards is not.
	p, err := r.admin.GetPolicy(ctx, r.cfg.PolicyName)
	if err != nil {
		return "", notReplicatedIf404(err)
	}
	for _, app := range p.ComplianceRecordingApplications {
		if strings.EqualFold(app.ID, r.res.InstanceObjectID) {
			return msg, nil
		}
	}
	f := r.cfg.Flags
	_, err = r.admin.CreateRecordingApp(ctx, r.cfg.PolicyName, teams.RecordingApp{ID: r.res.InstanceObjectID,
		RequiredBeforeMeetingJoin: f.RequiredBeforeMeetingJoin, RequiredBeforeCallEstablishment: f.RequiredBeforeCallEstablishment,
		RequiredDuringMeeting: f.RequiredDuringMeeting, RequiredDuringCall: f.RequiredDuringCall, ConcurrentInvitationCount: 1})
	return msg, err
}

// lagError is a read-back that does not show yet an object callrec made:
// Microsoft's replication, worth retrying. It keeps the answer as it was
// (a 404 stays "404 Not Found") and does not unwrap, so nobody reads it
// as "the object is gone".
type lagError struct{ err error }

func (e *lagError) Error() string { return "not replicated yet: " + e.err.Error() }

// notReplicated marks a missing object callrec made as replication lag.
func notReplicated(err error) error { return &lagError{err} }

func (r *runner) createGroup(ctx context.Context) (string, error) {
	if err := r.ensureClients(ctx); err != nil {
		return "", err
	}
	if r.res.GroupID != "" {
		g, err := r.graph.GetGroup(ctx, r.res.GroupID)
		if err == nil && r.res.GroupCreated {
			return fmt.Sprintf("Successfully created group %q with UPN %q", g.DisplayName, r.groupUPN()), nil
		}
		if err == nil {
			return fmt.Sprintf("Found existing group with UPN %q and name %q", r.groupUPN(), g.DisplayName), nil
		}
		if teams.IsTransient(err) {
			return "", err
		}
	}
	g, err := r.graph.FindGroupByMailNickname(ctx, r.cfg.GroupNickname)
	if err == nil {
		r.res.GroupID, r.res.GroupMail = g.ID, g.Mail
		return fmt.Sprintf("Found existing group with UPN %q and name %q", r.groupUPN(), g.DisplayName), r.saveResources(ctx)
	}
	if !teams.IsNotFound(err) {
		return "", err
	}
	g, err = r.graph.CreateGroup(ctx, r.cfg.GroupName, r.cfg.GroupNickname, "Calls of members are recorded by "+r.cfg.AppName)
	if err != nil {
		return "", err
	}
	r.res.GroupID, r.res.GroupMail, r.res.GroupCreated = g.ID, g.Mail, true
	return fmt.Sprintf("Successfully created group %q with UPN %q", r.cfg.GroupName, r.groupUPN()), r.saveResources(ctx)
}

// assignToGroup reads the tenant's compliance recording group
// assignments first: another vendor's assignment is never displaced, and
// callrec takes the rank after the last one, so every other assignment
// keeps its precedence. The rank taken is kept and shown.
func (r *runner) assignToGroup(ctx context.Context) (string, error) {
	if err := r.ensureClients(ctx); err != nil {
		return "", err
	}
	list, err := r.admin.GroupAssignments(ctx)
	if err != nil {
		return "", err
	}
	for _, a := range list {
		if !strings.EqualFold(a.GroupID, r.res.GroupID) {
			continue
		}
		if !strings.EqualFold(a.PolicyName, r.cfg.PolicyName) {
			return "", permanent("group %q already has compliance recording policy %q assigned (rank %d), which %s does not displace; remove that assignment or choose another group", r.cfg.GroupName, a.PolicyName, a.Rank, r.s.product(ctx))
		}
		r.res.AssignmentRank = a.Rank
		if r.res.AssignmentCreated {
			return fmt.Sprintf("Successfully assigned a recording policy to the group at rank %d", a.Rank), r.saveResources(ctx)
		}
		return fmt.Sprintf("Found the policy already assigned to the group at rank %d", a.Rank), r.saveResources(ctx)
	}
	rank := len(list) + 1
	if err := r.admin.AssignToGroup(ctx, r.res.GroupID, r.cfg.PolicyName, rank); err != nil {
		// A verified path: its 404 is the new group or policy not visible yet.
		return "", notReplicatedIf404(err)
	}
	r.res.AssignmentRank, r.res.AssignmentCreated = rank, true
	if err := r.saveResources(ctx); err != nil {
		return "", err
	}
	if others := len(list); others > 0 {
		return fmt.Sprintf("Successfully assigned a recording policy to the group at rank %d; the %d other compliance recording group assignment(s) keep their ranks", rank, others), nil
	}
	return fmt.Sprintf("Successfully assigned a recording policy to the group at rank %d", rank), nil
}

func (r *runner) assignGlobal(ctx context.Context) (string, error) {
	if err := r.ensureClients(ctx); err != nil {
		return "", err
	}
	cur, err := r.admin.GlobalPolicy(ctx)
	if err != nil {
		return "", err
	}
	if strings.EqualFold(cur, r.cfg.PolicyName) {
		return "Found the policy already assigned to all users", nil
	}
	if err := r.admin.GrantGlobal(ctx, r.cfg.PolicyName); err != nil {
		return "", notReplicatedIf404(err)
	}
	return "Successfully assigned a recording policy to all users", nil
}

// finalize reads every object back; anything not visible yet is retried.
func (r *runner) finalize(ctx context.Context) (string, error) {
	if err := r.ensureClients(ctx); err != nil {
		return "", err
	}
	if _, err := r.admin.GetInstance(ctx, r.res.InstanceObjectID); err != nil {
		return "", notReplicatedIf404(err)
	}
	p, err := r.admin.GetPolicy(ctx, r.cfg.PolicyName)
	if err != nil {
		return "", notReplicatedIf404(err)
	}
	if p.DisableComplianceRecordingAudioNotificationForCalls == r.cfg.Notification {
		return "", permanent("policy %s has the recording notification %s, not as configured", r.cfg.PolicyName, onOff(!p.DisableComplianceRecordingAudioNotificationForCalls))
	}
	app, err := r.admin.GetRecordingApp(ctx, r.cfg.PolicyName, r.res.InstanceObjectID)
	if err != nil {
		return "", notReplicatedIf404(err)
	}
	f := r.cfg.Flags
	if app.RequiredBeforeMeetingJoin != f.RequiredBeforeMeetingJoin || app.RequiredBeforeCallEstablishment != f.RequiredBeforeCallEstablishment ||
		app.RequiredDuringMeeting != f.RequiredDuringMeeting || app.RequiredDuringCall != f.RequiredDuringCall {
		return "", permanent("the recording application's policy flags differ from the configuration")
	}
	if r.cfg.Scope == "group" {
		a, err := r.admin.GetGroupAssignment(ctx, r.res.GroupID)
		if err != nil {
			return "", notReplicatedIf404(err)
		}
		r.res.AssignmentRank = a.Rank
	} else if cur, err := r.admin.GlobalPolicy(ctx); err != nil || !strings.EqualFold(cur, r.cfg.PolicyName) {
		if err == nil {
			err = permanent("the tenant-wide policy is %q, not %q", cur, r.cfg.PolicyName)
		}
		return "", err
	}
	if r.res.ServicePrincipalID == "" {
		if id, err := r.graph.ServicePrincipalID(ctx, r.s.ep.ClientID); err == nil {
			r.res.ServicePrincipalID = id
		}
	}
	return "Everything is in place: calls of the recorded users will be recorded", r.saveResources(ctx)
}

func notReplicatedIf404(err error) error {
	if teams.IsNotFound(err) {
		return notReplicated(err)
	}
	return err
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
