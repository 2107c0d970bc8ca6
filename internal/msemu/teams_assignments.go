package msemu

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

func assignmentJSON(a *groupAssignment) map[string]any {
	return map[string]any{
		"GroupId": a.GroupID, "PolicyType": a.PolicyType, "PolicyName": strings.TrimPrefix(a.PolicyName, "Tag:"),
		"Rank": a.Rank, "CreatedTime": a.Created.UTC().Format(time.RFC3339),
	}
}

// assignmentBody is the body of a group grant (PATCH
// …/groupPolicyAssignments/{group}/policyTypes/{type}): the type and group
// are in the path.
type assignmentBody struct {
	PolicyName string `json:"PolicyName"`
	Rank       int    `json:"Rank"`
}

// ranked returns the tenant's assignments of one policy type by rank.
func ranked(t *tenant, ptype string) []*groupAssignment {
	var out []*groupAssignment
	for _, a := range t.GroupAssignments {
		if a.PolicyType == ptype {
			out = append(out, a)
		}
	}
	slices.SortStableFunc(out, func(a, b *groupAssignment) int { return a.Rank - b.Rank })
	return out
}

// placeAt moves a to rank (1 highest) among its policy type and renumbers
// the ranks 1..n, as Teams does. A rank of 0 or past the end means last.
func placeAt(t *tenant, a *groupAssignment, rank int) {
	list := slices.DeleteFunc(ranked(t, a.PolicyType), func(x *groupAssignment) bool { return x == a })
	if rank <= 0 || rank > len(list)+1 {
		rank = len(list) + 1
	}
	list = slices.Insert(list, rank-1, a)
	for i, x := range list {
		x.Rank = i + 1
	}
	if !slices.Contains(t.GroupAssignments, a) {
		t.GroupAssignments = append(t.GroupAssignments, a)
	}
}

func renumber(t *tenant, ptype string) {
	for i, x := range ranked(t, ptype) {
		x.Rank = i + 1
	}
}

func findAssignment(t *tenant, groupID, ptype string) *groupAssignment {
	for _, a := range t.GroupAssignments {
		if a.GroupID == groupID && strings.EqualFold(a.PolicyType, ptype) {
			return a
		}
	}
	return nil
}

func checkPolicyType(ptype string) error {
	if !strings.EqualFold(ptype, policyType) {
		return teamsErr(http.StatusBadRequest, "BadRequest", "PolicyType '"+ptype+"' is not supported by the emulator; use "+policyType+".")
	}
	return nil
}

// putAssignment is New-/Set-CsGroupPolicyAssignment: it assigns the
// policy to the group at the rank (renumbering the others) or changes an
// existing assignment.
func (e *Emulator) putAssignment(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.teamsAuth(r, false)
	if err != nil {
		return err
	}
	if err := checkPolicyType(r.PathValue("type")); err != nil {
		return err
	}
	var b assignmentBody
	if err := decodeJSON(r, &b); err != nil {
		return teamsErr(http.StatusBadRequest, "BadRequest", err.Error())
	}
	groupID := r.PathValue("group")
	if g := t.Groups[groupID]; g == nil || !e.visible(g.Created) {
		return teamsErr(http.StatusNotFound, "NotFound", "Group '"+groupID+"' was not found in the directory.")
	}
	p, err := e.visiblePolicy(t, b.PolicyName)
	if err != nil {
		return err
	}
	a := findAssignment(t, groupID, policyType)
	if a == nil {
		a = &groupAssignment{GroupID: groupID, PolicyType: policyType, Created: e.clock.Now()}
	}
	a.PolicyName = p.Identity
	placeAt(t, a, b.Rank)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (e *Emulator) listAssignments(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.teamsAuth(r, false)
	if err != nil {
		return err
	}
	if pt := r.URL.Query().Get("policyType"); pt != "" {
		if err := checkPolicyType(pt); err != nil {
			return err
		}
	}
	out := []map[string]any{}
	for _, a := range ranked(t, policyType) {
		if e.visible(a.Created) {
			out = append(out, assignmentJSON(a))
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (e *Emulator) visibleAssignment(t *tenant, r *http.Request) (*groupAssignment, error) {
	a := findAssignment(t, r.PathValue("group"), r.PathValue("type"))
	if a == nil || !e.visible(a.Created) {
		return nil, teamsErr(http.StatusNotFound, "NotFound", "No "+r.PathValue("type")+" assignment for group '"+r.PathValue("group")+"'.")
	}
	return a, nil
}

func (e *Emulator) deleteAssignment(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.teamsAuth(r, false)
	if err != nil {
		return err
	}
	a, err := e.visibleAssignment(t, r)
	if err != nil {
		return err
	}
	t.GroupAssignments = slices.DeleteFunc(t.GroupAssignments, func(x *groupAssignment) bool { return x == a })
	renumber(t, a.PolicyType)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
