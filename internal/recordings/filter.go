package recordings

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"callrec/internal/caller"
	"callrec/internal/store"
	"callrec/internal/validate"
)

// Presets are the date ranges the Recordings page offers.
var Presets = []struct{ Value, Label string }{
	{"today", "Today"}, {"yesterday", "Yesterday"}, {"last7", "Last 7 days"}, {"last30", "Last 30 days"},
	{"this_month", "This month"}, {"last90", "Last 90 days"},
}

// States and Directions are the values the filters accept.
var (
	States     = []string{store.CallActive, store.CallCompleted, store.CallInterrupted, store.CallFailed}
	Directions = []string{"inbound", "outbound", "internal"}
)

// Location is the viewer's time zone: the user's, else the tenant's, else UTC.
func (s *Service) Location(ctx context.Context, p *caller.Caller) *time.Location {
	name := p.User.Timezone
	if name == "" && p.TenantID != "" {
		if t, err := s.DB.Q().GetTenant(ctx, p.TenantID); err == nil {
			name = t.Timezone
		}
	}
	if loc, err := time.LoadLocation(name); err == nil && name != "" {
		return loc
	}
	return time.UTC
}

// PresetRange is the [from, to) a preset names at now in loc.
func PresetRange(preset string, now time.Time, loc *time.Location) (from, to time.Time, ok bool) {
	n := now.In(loc)
	today := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc)
	tomorrow := today.AddDate(0, 0, 1)
	switch preset {
	case "today":
		return today, tomorrow, true
	case "yesterday":
		return today.AddDate(0, 0, -1), today, true
	case "last7":
		return today.AddDate(0, 0, -6), tomorrow, true
	case "last30":
		return today.AddDate(0, 0, -29), tomorrow, true
	case "last90":
		return today.AddDate(0, 0, -89), tomorrow, true
	case "this_month":
		return time.Date(n.Year(), n.Month(), 1, 0, 0, 0, 0, loc), tomorrow, true
	}
	return time.Time{}, time.Time{}, false
}

// ParseFilter reads the list filters shared by the portal and the API:
// preset, from, to (RFC 3339, or a date in loc; a date "to" includes the
// day), user_id, group_id, direction, state, min_duration and max_duration
// (seconds), q, external_call_id (exact), unassigned (true), sort (started_at|duration), order (asc|desc), limit, cursor.
func ParseFilter(q url.Values, now time.Time, loc *time.Location) (store.RecordingFilter, validate.Errors) {
	f := store.RecordingFilter{UserID: q.Get("user_id"), GroupID: q.Get("group_id"), Direction: q.Get("direction"),
		State: q.Get("state"), Text: strings.TrimSpace(q.Get("q")), Cursor: q.Get("cursor"),
		ExternalCallID: strings.TrimSpace(q.Get("external_call_id"))}
	errs := validate.Errors{}
	switch q.Get("unassigned") {
	case "", "false":
	case "true":
		f.Unassigned = true
	default:
		errs["unassigned"] = "true or false"
	}
	if len(f.ExternalCallID) > 256 {
		errs["external_call_id"] = "at most 256 characters"
	}
	if p := q.Get("preset"); p != "" {
		from, to, ok := PresetRange(p, now, loc)
		if !ok {
			errs["preset"] = "one of today, yesterday, last7, last30, last90, this_month"
		}
		f.From, f.To = &from, &to
	}
	for _, name := range []string{"from", "to"} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			if t, err = time.ParseInLocation("2006-01-02", v, loc); err == nil && name == "to" {
				t = t.AddDate(0, 0, 1)
			}
		}
		if err != nil {
			errs[name] = "an RFC 3339 time or a date (YYYY-MM-DD)"
			continue
		}
		if name == "from" {
			f.From = &t
		} else {
			f.To = &t
		}
	}
	if f.State != "" && !slices.Contains(States, f.State) {
		errs["state"] = "one of " + strings.Join(States, ", ")
	}
	if f.Direction != "" && !slices.Contains(Directions, f.Direction) {
		errs["direction"] = "one of " + strings.Join(Directions, ", ")
	}
	for name, dst := range map[string]*int64{"min_duration": &f.MinDurationMS, "max_duration": &f.MaxDurationMS} {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				errs[name] = "whole seconds, 0 or more"
				continue
			}
			*dst = n * 1000
		}
	}
	switch q.Get("sort") {
	case "", store.SortStarted:
	case store.SortDuration:
		f.Sort = store.SortDuration
	default:
		errs["sort"] = "started_at or duration"
	}
	switch q.Get("order") {
	case "", "desc":
	case "asc":
		f.Asc = true
	default:
		errs["order"] = "asc or desc"
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			errs["limit"] = "a number from 1 to 500"
		}
		f.Limit = n
	}
	if len(errs) > 0 {
		return f, errs
	}
	return f, nil
}

// Choice is a user or group the filters offer.
type Choice struct{ ID, Name string }

// FilterChoices lists the users and groups a caller may filter by: the
// tenant's for whoever sees it all, the managed groups and their members
// for supervisors, nothing for self-view users.
func (s *Service) FilterChoices(ctx context.Context, p *caller.Caller) (users, groups []Choice, err error) {
	sc, err := s.ScopeOf(ctx, p)
	if err != nil || (sc.UserIDs != nil && len(sc.UserIDs) <= 1) {
		return nil, nil, err
	}
	q := s.DB.Q()
	list, _, err := q.ListUsers(ctx, p.TenantID, store.UserFilter{Limit: 500})
	if err != nil {
		return nil, nil, err
	}
	for _, u := range list {
		if sc.UserIDs == nil || slices.Contains(sc.UserIDs, u.ID) {
			users = append(users, Choice{u.ID, u.Name})
		}
	}
	var managed []string
	if sc.UserIDs != nil {
		if me, err := q.GetUserByID(ctx, p.User.ID); err == nil {
			managed = me.ManagedGroups
		}
	}
	gs, err := q.ListGroups(ctx, p.TenantID, "")
	if err != nil {
		return nil, nil, err
	}
	for _, g := range gs {
		if sc.UserIDs == nil || slices.Contains(managed, g.ID) {
			groups = append(groups, Choice{g.ID, g.Name})
		}
	}
	return users, groups, nil
}

// Filter reads the list filters at the service's clock (see ParseFilter).
func (s *Service) Filter(q url.Values, loc *time.Location) (store.RecordingFilter, validate.Errors) {
	return ParseFilter(q, s.now(), loc)
}

// Range is the [from, to) a preset names now, in loc; an unknown preset
// is the zero range.
func (s *Service) Range(preset string, loc *time.Location) (from, to time.Time) {
	from, to, _ = PresetRange(preset, s.now(), loc)
	return from, to
}
