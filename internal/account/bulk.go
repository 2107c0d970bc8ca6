package account

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"callrec/internal/roles"
	"callrec/internal/store"
	"callrec/internal/validate"
)

// BulkChanges are the settings Bulk Edit may give many users at once. The
// guide warns against bulk-changing what is unique to a person, so name,
// extensions, login, PIN and credentials are not here. Nil and empty fields
// are left alone.
type BulkChanges struct {
	Role                *string   `json:"role"`
	Active              *bool     `json:"active"`
	AddGroups           []string  `json:"add_groups"`
	RemoveGroups        []string  `json:"remove_groups"`
	ManagedGroups       *[]string `json:"managed_groups"`
	Record              *string   `json:"record"`
	RecordInbound       *bool     `json:"record_inbound"`
	RecordOutbound      *bool     `json:"record_outbound"`
	AddLicenses         []string  `json:"add_licenses"`
	RemoveLicenses      []string  `json:"remove_licenses"`
	SpeechAnalyticsType *string   `json:"speech_analytics_type"`
}

// PerUserFields are the profile fields Bulk Edit refuses to set.
var PerUserFields = []string{"name", "email", "extensions", "login", "pin", "password", "screen_recording_username", "valid_till"}

// BulkRequest names the users and the changes to make to each.
type BulkRequest struct {
	UserIDs []string    `json:"user_ids"`
	Changes BulkChanges `json:"changes"`
}

// FieldChange is one setting of one user before and after, in words.
type FieldChange struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// BulkUserPlan is what Bulk Edit will change on one user.
type BulkUserPlan struct {
	UserID  string        `json:"user_id"`
	Name    string        `json:"name"`
	Changes []FieldChange `json:"changes"`
}

// PoolCheck is one license pool against the whole batch: Used+Needed-Freed
// must not exceed Total.
type PoolCheck struct {
	Type   string `json:"type"`
	Total  int    `json:"total"`
	Used   int    `json:"used"`
	Needed int    `json:"needed"`
	Freed  int    `json:"freed"`
	Enough bool   `json:"enough"`
}

// Left is how many licenses remain before the batch.
func (p PoolCheck) Left() int { return p.Total - p.Used }

// BulkPlan previews a bulk edit: each user's changes and the pools touched.
type BulkPlan struct {
	Users     []BulkUserPlan `json:"users"`
	Unchanged int            `json:"unchanged"`
	Pools     []PoolCheck    `json:"pools"`
}

// Short returns the pools the batch would overdraw.
func (p BulkPlan) Short() []PoolCheck {
	var out []PoolCheck
	for _, c := range p.Pools {
		if !c.Enough {
			out = append(out, c)
		}
	}
	return out
}

// ShortageError refuses a bulk edit whose licenses do not fit the pools.
// It is an ErrLicenseExhausted.
type ShortageError struct{ Pools []PoolCheck }

func (e *ShortageError) Error() string {
	return "not enough licenses for the whole batch: " + e.Summary()
}

// Summary names each short pool, as "Screen recording needs 3, 2 left".
func (e *ShortageError) Summary() string {
	parts := make([]string, len(e.Pools))
	for i, p := range e.Pools {
		parts[i] = fmt.Sprintf("%s needs %d, %d left", LicenseLabel(p.Type), p.Needed-p.Freed, p.Left())
	}
	return strings.Join(parts, "; ")
}

// Is makes a ShortageError match ErrLicenseExhausted.
func (e *ShortageError) Is(target error) bool { return target == ErrLicenseExhausted }

// LicenseLabel is a license type's name as the guide writes it.
func LicenseLabel(t string) string {
	switch t {
	case "call_recording":
		return "Call recording"
	case "screen_recording":
		return "Screen recording"
	case "live_monitoring":
		return "Live monitoring"
	case "agent_evaluation":
		return "Agent evaluation"
	case "speech_analytics":
		return "Speech analytics"
	}
	return t
}

// pendingUpdate is one user's patch computed by planBulk.
type pendingUpdate struct {
	user    store.User
	in      UserInput
	changes []FieldChange
}

// PreviewBulk computes what BulkUpdate would do, without changing anything.
func (s *Service) PreviewBulk(ctx context.Context, a Actor, tenantID string, req BulkRequest) (BulkPlan, error) {
	plan, _, err := s.planBulk(ctx, s.db.Q(), a, tenantID, req)
	return plan, err
}

// BulkUpdate applies the changes to every user or, if any user or the
// license pools refuse, to none. Each user's change is audited.
func (s *Service) BulkUpdate(ctx context.Context, a Actor, tenantID string, req BulkRequest) (BulkPlan, error) {
	var plan BulkPlan
	err := s.db.InTx(ctx, func(tx store.Q) error {
		var ups []pendingUpdate
		var err error
		if plan, ups, err = s.planBulk(ctx, tx, a, tenantID, req); err != nil {
			return err
		}
		if short := plan.Short(); len(short) > 0 {
			return &ShortageError{Pools: short}
		}
		// Removals first, so a license one user gives up can go to another
		// user of the same batch.
		for _, up := range ups {
			if up.in.Licenses != nil {
				keep := slices.DeleteFunc(slices.Clone(up.user.Licenses), func(l string) bool { return !slices.Contains(*up.in.Licenses, l) })
				if err := tx.SetUserLicenses(ctx, tenantID, up.user.ID, keep); err != nil {
					return mapStore(err)
				}
			}
		}
		for _, up := range ups {
			detail := map[string]any{"bulk": true, "changes": up.changes}
			if err := s.updateUserTx(ctx, tx, a, up.user, up.in, "user.bulk_update", detail); err != nil {
				return fmt.Errorf("%s: %w", up.user.Name, err)
			}
		}
		return nil
	})
	return plan, err
}

func (c BulkChanges) empty() bool {
	return c.Role == nil && c.Active == nil && len(c.AddGroups) == 0 && len(c.RemoveGroups) == 0 && c.ManagedGroups == nil &&
		c.Record == nil && c.RecordInbound == nil && c.RecordOutbound == nil && len(c.AddLicenses) == 0 &&
		len(c.RemoveLicenses) == 0 && c.SpeechAnalyticsType == nil
}

// check validates the changes against the tenant's groups.
func (c BulkChanges) check(groups map[string]store.Group, a Actor, ids []string) error {
	errs := validate.Errors{}
	if c.empty() {
		errs.Add("changes", "choose at least one setting to change")
	}
	if c.Role != nil && !roles.Valid(*c.Role) {
		errs.Add("role", "one of admin, supervisor, user_self_view, user, api_user")
	}
	if c.Record != nil && !slices.Contains(RecordModes, *c.Record) {
		errs.Add("record", "one of always, on_demand, never, default")
	}
	if c.SpeechAnalyticsType != nil && *c.SpeechAnalyticsType != "basic" && *c.SpeechAnalyticsType != "advanced" {
		errs.Add("speech_analytics_type", "basic or advanced")
	}
	if c.Active != nil && !*c.Active && slices.Contains(ids, a.UserID) {
		errs.Add("active", "you cannot deactivate yourself")
	}
	checkGroups := func(field string, list []string) {
		for _, id := range list {
			g, ok := groups[id]
			switch {
			case !ok:
				errs.Add(field, "names a group that does not exist in this tenant")
			case field == "remove_groups" && g.IsDefault:
				errs.Addf(field, "every user must stay in the default group %q", g.Name)
			}
		}
	}
	checkGroups("add_groups", c.AddGroups)
	checkGroups("remove_groups", c.RemoveGroups)
	if c.ManagedGroups != nil {
		checkGroups("managed_groups", *c.ManagedGroups)
	}
	for _, id := range c.AddGroups {
		if slices.Contains(c.RemoveGroups, id) {
			errs.Add("remove_groups", "a group cannot be both added and removed")
		}
	}
	for field, list := range map[string][]string{"add_licenses": c.AddLicenses, "remove_licenses": c.RemoveLicenses} {
		for _, lt := range list {
			if !isLicenseType(lt) {
				errs.Addf(field, "unknown license type %q", lt)
			}
		}
	}
	for _, lt := range c.AddLicenses {
		if slices.Contains(c.RemoveLicenses, lt) {
			errs.Add("remove_licenses", "a license cannot be both assigned and removed")
		}
	}
	return errs.Err()
}

// planBulk loads the users and works out each one's patch and the pools.
func (s *Service) planBulk(ctx context.Context, q store.Q, a Actor, tenantID string, req BulkRequest) (BulkPlan, []pendingUpdate, error) {
	var plan BulkPlan
	ids := dedupe(req.UserIDs)
	if len(ids) == 0 || len(ids) > 1000 {
		return plan, nil, validate.Field("user_ids", "select from 1 to 1000 users")
	}
	gs, err := q.ListGroups(ctx, tenantID, "")
	if err != nil {
		return plan, nil, err
	}
	groups := make(map[string]store.Group, len(gs))
	for _, g := range gs {
		groups[g.ID] = g
	}
	if err := req.Changes.check(groups, a, ids); err != nil {
		return plan, nil, err
	}
	pools, err := q.LicensePools(ctx, tenantID)
	if err != nil {
		return plan, nil, err
	}
	need, freed := map[string]int{}, map[string]int{}
	var ups []pendingUpdate
	for _, id := range ids {
		u, err := q.GetUser(ctx, tenantID, id)
		if err != nil {
			if mapStore(err) == ErrNotFound {
				return plan, nil, validate.Field("user_ids", "names a user that does not exist in this tenant")
			}
			return plan, nil, err
		}
		up := planUser(u, req.Changes, groups)
		for _, lt := range req.Changes.AddLicenses {
			if !slices.Contains(u.Licenses, lt) {
				need[lt]++
			}
		}
		for _, lt := range req.Changes.RemoveLicenses {
			if slices.Contains(u.Licenses, lt) {
				freed[lt]++
			}
		}
		if len(up.changes) == 0 {
			plan.Unchanged++
			continue
		}
		plan.Users = append(plan.Users, BulkUserPlan{UserID: u.ID, Name: u.Name, Changes: up.changes})
		ups = append(ups, up)
	}
	for _, p := range pools {
		if need[p.Type] == 0 && freed[p.Type] == 0 {
			continue
		}
		c := PoolCheck{Type: p.Type, Total: p.Total, Used: p.Used, Needed: need[p.Type], Freed: freed[p.Type]}
		c.Enough = c.Used+c.Needed-c.Freed <= c.Total || c.Needed == 0
		plan.Pools = append(plan.Pools, c)
	}
	return plan, ups, nil
}

// planUser is the patch and the readable differences for one user.
func planUser(u store.User, c BulkChanges, groups map[string]store.Group) pendingUpdate {
	up := pendingUpdate{user: u}
	note := func(field, from, to string) {
		if from != to {
			up.changes = append(up.changes, FieldChange{Field: field, From: from, To: to})
		}
	}
	if c.Role != nil && *c.Role != u.Role {
		up.in.Role = c.Role
		note("Role", roleLabel(u.Role), roleLabel(*c.Role))
	}
	if c.Active != nil && *c.Active != u.Active {
		up.in.Active = c.Active
		note("Status", activeLabel(u.Active), activeLabel(*c.Active))
	}
	if c.Record != nil && *c.Record != u.Record {
		up.in.Record = c.Record
		note("Record", u.Record, *c.Record)
	}
	if c.RecordInbound != nil && *c.RecordInbound != u.RecordInbound {
		up.in.RecordInbound = c.RecordInbound
		note("Record inbound", yesNo(u.RecordInbound), yesNo(*c.RecordInbound))
	}
	if c.RecordOutbound != nil && *c.RecordOutbound != u.RecordOutbound {
		up.in.RecordOutbound = c.RecordOutbound
		note("Record outbound", yesNo(u.RecordOutbound), yesNo(*c.RecordOutbound))
	}
	if c.SpeechAnalyticsType != nil && *c.SpeechAnalyticsType != u.SpeechAnalyticsType {
		up.in.SpeechAnalyticsType = c.SpeechAnalyticsType
		note("Speech analytics type", u.SpeechAnalyticsType, *c.SpeechAnalyticsType)
	}
	if len(c.AddGroups) > 0 || len(c.RemoveGroups) > 0 {
		if next := addRemove(u.Groups, c.AddGroups, c.RemoveGroups); !sameSet(next, u.Groups) {
			up.in.Groups = &next
			note("Groups", groupLabels(u.Groups, groups), groupLabels(next, groups))
		}
	}
	if c.ManagedGroups != nil && !sameSet(*c.ManagedGroups, u.ManagedGroups) {
		next := slices.Clone(*c.ManagedGroups)
		up.in.ManagedGroups = &next
		note("Managed groups", groupLabels(u.ManagedGroups, groups), groupLabels(next, groups))
	}
	if len(c.AddLicenses) > 0 || len(c.RemoveLicenses) > 0 {
		if next := addRemove(u.Licenses, c.AddLicenses, c.RemoveLicenses); !sameSet(next, u.Licenses) {
			up.in.Licenses = &next
			note("Licenses", licenseLabels(u.Licenses), licenseLabels(next))
		}
	}
	return up
}

func addRemove(have, add, remove []string) []string {
	out := slices.DeleteFunc(slices.Clone(have), func(x string) bool { return slices.Contains(remove, x) })
	for _, x := range add {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

func groupLabels(ids []string, groups map[string]store.Group) string {
	names := make([]string, 0, len(ids))
	for _, id := range ids {
		names = append(names, groups[id].Name)
	}
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return listLabel(names)
}

func licenseLabels(types []string) string {
	var names []string
	for _, lt := range store.LicenseTypes() {
		if slices.Contains(types, lt) {
			names = append(names, LicenseLabel(lt))
		}
	}
	return listLabel(names)
}

func listLabel(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func roleLabel(id string) string {
	if r, ok := roles.Get(id); ok {
		return r.Name
	}
	return id
}

func activeLabel(b bool) string {
	if b {
		return "Active"
	}
	return "Inactive"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
