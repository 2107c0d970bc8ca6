package msemu

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// grantBody is Grant-CsTeamsComplianceRecordingPolicy's payload; a null or
// empty PolicyName revokes. The policy type is in the path, except on the
// emulator-only PUT /Skype.Policy/users/{user}, where it is in the body.
type grantBody struct {
	PolicyType string  `json:"PolicyType"`
	PolicyName *string `json:"PolicyName"`
}

func (e *Emulator) readGrant(t *tenant, r *http.Request) (string, error) {
	var b grantBody
	if err := decodeJSON(r, &b); err != nil {
		return "", teamsErr(http.StatusBadRequest, "BadRequest", err.Error())
	}
	ptype := r.PathValue("type")
	if ptype == "" {
		ptype = b.PolicyType
	}
	if err := checkPolicyType(ptype); err != nil {
		return "", err
	}
	if b.PolicyName == nil || *b.PolicyName == "" {
		return "", nil
	}
	p, err := e.visiblePolicy(t, *b.PolicyName)
	if err != nil {
		return "", err
	}
	return p.Identity, nil
}

// grantUser is PUT /Skype.Policy/users/{user}: a direct assignment.
func (e *Emulator) grantUser(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.teamsAuth(r, false)
	if err != nil {
		return err
	}
	u := t.userRef(r.PathValue("user"))
	if u == nil || !e.visible(u.Created) {
		return teamsErr(http.StatusNotFound, "NotFound", "User '"+r.PathValue("user")+"' was not found.")
	}
	name, err := e.readGrant(t, r)
	if err != nil {
		return err
	}
	if name == "" {
		delete(t.UserPolicies, u.ID)
	} else {
		t.UserPolicies[u.ID] = name
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// grantGlobal is PATCH /Skype.Policy/tenants/policies/{type}: Grant-… -Global.
func (e *Emulator) grantGlobal(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.teamsAuth(r, false)
	if err != nil {
		return err
	}
	name, err := e.readGrant(t, r)
	if err != nil {
		return err
	}
	t.GlobalPolicy = name
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// getGlobal is GET /Skype.Policy/tenants/policies/{type} (unverified: no
// public code reads it): the tenant-wide grant, so a client can read back
// what it granted.
func (e *Emulator) getGlobal(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.teamsAuth(r, false)
	if err != nil {
		return err
	}
	if err := checkPolicyType(r.PathValue("type")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"PolicyType": policyType, "PolicyName": nullable(strings.TrimPrefix(t.GlobalPolicy, "Tag:"))})
	return nil
}

// EffectivePolicy is the compliance recording policy that applies to a user
// and why: a direct grant beats a group assignment (lowest rank first),
// which beats the tenant's global policy.
type EffectivePolicy struct {
	PolicyType string `json:"PolicyType"`
	PolicyName string `json:"PolicyName"`
	Source     string `json:"AssignmentType"` // Direct, Group or Global
	GroupID    string `json:"GroupId,omitempty"`
	Rank       int    `json:"Rank,omitempty"`
	Policy     any    `json:"Policy,omitempty"`
}

// EffectiveRecordingPolicy resolves the policy for a user (object id or UPN)
// of a tenant; the calling emulator uses it to decide whom to invite.
func (e *Emulator) EffectiveRecordingPolicy(tenantID, userRef string) (EffectivePolicy, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t := e.w.findTenant(tenantID)
	if t == nil {
		return EffectivePolicy{}, fmt.Errorf("msemu: tenant %q not found", tenantID)
	}
	u := t.userRef(userRef)
	if u == nil {
		return EffectivePolicy{}, fmt.Errorf("msemu: user %q not found in %s", userRef, t.Domain)
	}
	return e.effective(t, u), nil
}

func (e *Emulator) effective(t *tenant, u *user) EffectivePolicy {
	ep := EffectivePolicy{PolicyType: policyType}
	if name, ok := t.UserPolicies[u.ID]; ok && t.Policies[name] != nil {
		ep.PolicyName, ep.Source = name, "Direct"
	} else if a := e.groupPolicyFor(t, u); a != nil {
		ep.PolicyName, ep.Source, ep.GroupID, ep.Rank = a.PolicyName, "Group", a.GroupID, a.Rank
	} else {
		ep.PolicyName, ep.Source = "Global", "Global"
		if t.GlobalPolicy != "" && t.Policies[t.GlobalPolicy] != nil {
			ep.PolicyName = t.GlobalPolicy
		}
	}
	if p := t.Policies[ep.PolicyName]; p != nil {
		ep.Policy = policyJSON(p)
	}
	return ep
}

// groupPolicyFor finds the best-ranked replicated assignment of a group the
// user is a direct member of; nested groups do not count.
func (e *Emulator) groupPolicyFor(t *tenant, u *user) *groupAssignment {
	for _, a := range ranked(t, policyType) {
		g := t.Groups[a.GroupID]
		if g != nil && e.visible(a.Created) && slices.Contains(g.Members, u.ID) {
			return a
		}
	}
	return nil
}

func (e *Emulator) effectivePolicy(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.teamsAuth(r, false)
	if err != nil {
		return err
	}
	if pt := r.URL.Query().Get("policyType"); pt != "" && !strings.EqualFold(pt, policyType) {
		return checkPolicyType(pt)
	}
	u := t.userRef(r.PathValue("user"))
	if u == nil || !e.visible(u.Created) {
		return teamsErr(http.StatusNotFound, "NotFound", "User '"+r.PathValue("user")+"' was not found.")
	}
	writeJSON(w, http.StatusOK, e.effective(t, u))
	return nil
}
