package evaluations

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"callrec/internal/caller"
	"callrec/internal/csvexport"
	"callrec/internal/recordings"
	"callrec/internal/roles"
	"callrec/internal/store"
	"callrec/internal/validate"
)

// reportLimit bounds the evaluations one report reads.
const reportLimit = 20000

// ReportFilter is a report's period and narrowing. The period is of the
// evaluations' creation, [From, To).
type ReportFilter struct {
	From, To time.Time
	FormID   string
	AgentID  string
	GroupID  string
}

// ParseReportFilter reads from and to (dates in loc; "to" includes its
// day; by default the last 90 days), form_id, agent_id and group_id.
func ParseReportFilter(q url.Values, now time.Time, loc *time.Location) (ReportFilter, error) {
	f := ReportFilter{FormID: q.Get("form_id"), AgentID: q.Get("agent_id"), GroupID: q.Get("group_id")}
	f.From, f.To, _ = recordings.PresetRange("last90", now, loc)
	errs := validate.Errors{}
	for name, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			errs[name] = "a date (YYYY-MM-DD)"
			continue
		}
		if name == "to" {
			t = t.AddDate(0, 0, 1)
		}
		*dst = t
	}
	if len(errs) == 0 && (!f.To.After(f.From) || f.To.Sub(f.From) > 367*24*time.Hour) {
		errs["to"] = "after from, at most a year later"
	}
	for _, k := range []string{"form_id", "agent_id", "group_id"} {
		if len(q.Get(k)) > 64 {
			errs[k] = "at most 64 characters"
		}
	}
	return f, errs.Err()
}

// Row is one line of a report: a count of evaluations and their mean score.
type Row struct {
	ID      string  `json:"id"`
	Name    string  `json:"name"`
	Count   int     `json:"evaluations"`
	Average float64 `json:"average_score"`
	sum     float64
}

func (r *Row) add(score float64) {
	r.Count++
	r.sum += score
	r.Average = math.Round(10*r.sum/float64(r.Count)) / 10
}

// QuestionStats is how one question was answered: per value, and N/A.
type QuestionStats struct {
	FormID     string      `json:"form_id"`
	FormName   string      `json:"form_name"`
	QuestionID string      `json:"question_id"`
	Text       string      `json:"text"`
	Kind       string      `json:"kind"`
	NA         int         `json:"na"`
	Values     []ValueSeen `json:"values"`
}

// ValueSeen is how often a value was given.
type ValueSeen struct {
	Value int `json:"value"`
	Count int `json:"count"`
}

// Report sums evaluations up per agent, group, form and week, and each
// question's answers.
type Report struct {
	From      time.Time       `json:"from"`
	To        time.Time       `json:"to"`
	Total     Row             `json:"total"`
	Agents    []*Row          `json:"agents"`
	Groups    []*Row          `json:"groups"`
	Forms     []*Row          `json:"forms"`
	Weeks     []*Row          `json:"weeks"` // ID: the Monday that starts the week, YYYY-MM-DD
	Questions []QuestionStats `json:"questions"`
	Truncated bool            `json:"truncated"`
}

// Report sums up the evaluations of the caller's scope (an evaluator's
// managed groups' members, an admin's tenant) in the period.
func (s *Service) Report(ctx context.Context, p *caller.Caller, f ReportFilter) (Report, error) {
	r := Report{From: f.From.UTC(), To: f.To.UTC(), Total: Row{ID: "all", Name: "All evaluations"}}
	if !p.Can(roles.Reports) {
		return r, ErrForbidden
	}
	sf, err := s.scopeFilter(ctx, p, false)
	if err != nil {
		return r, err
	}
	sf.From, sf.To, sf.FormID, sf.AgentID, sf.Limit = &f.From, &f.To, f.FormID, f.AgentID, reportLimit+1
	rows, err := s.DB.Q().Evaluations(ctx, p.TenantID, sf)
	if err != nil {
		return r, err
	}
	if len(rows) > reportLimit {
		rows, r.Truncated = rows[:reportLimit], true
	}
	q := s.DB.Q()
	groups, err := q.ListGroups(ctx, p.TenantID, "")
	if err != nil {
		return r, err
	}
	groupName := map[string]string{}
	for _, g := range groups {
		groupName[g.ID] = g.Name
	}
	memberOf := map[string][]string{}
	loc := s.Calls.Location(ctx, p)
	agents, grps, forms, weeks := map[string]*Row{}, map[string]*Row{}, map[string]*Row{}, map[string]*Row{}
	qs := newQuestionTally(s, p.TenantID)
	for _, e := range rows {
		if _, ok := memberOf[e.AgentID]; !ok {
			u, err := q.GetUser(ctx, p.TenantID, e.AgentID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return r, err
			}
			memberOf[e.AgentID] = u.Groups
		}
		if f.GroupID != "" && !slices.Contains(memberOf[e.AgentID], f.GroupID) {
			continue
		}
		r.Total.add(e.Score)
		tally(agents, e.AgentID, e.AgentName, e.Score)
		tally(forms, e.FormID, e.FormName, e.Score)
		for _, g := range memberOf[e.AgentID] {
			tally(grps, g, groupName[g], e.Score)
		}
		week := weekStart(e.CreatedAt.In(loc)).Format("2006-01-02")
		tally(weeks, week, "Week of "+week, e.Score)
		if err := qs.add(ctx, e); err != nil {
			return r, err
		}
	}
	r.Agents, r.Groups, r.Forms, r.Weeks = byName(agents), byName(grps), byName(forms), byName(weeks)
	r.Questions = qs.list()
	return r, nil
}

func tally(m map[string]*Row, id, name string, score float64) {
	row := m[id]
	if row == nil {
		row = &Row{ID: id, Name: name}
		m[id] = row
	}
	row.add(score)
}

func byName(m map[string]*Row) []*Row {
	out := make([]*Row, 0, len(m))
	for _, r := range m {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Name < out[j].Name || out[i].Name == out[j].Name && out[i].ID < out[j].ID
	})
	return out
}

// weekStart is the Monday 00:00 of t's week, in t's location.
func weekStart(t time.Time) time.Time {
	d := (int(t.Weekday()) + 6) % 7
	return time.Date(t.Year(), t.Month(), t.Day()-d, 0, 0, 0, 0, t.Location())
}

// questionTally counts answers per form and question, with the texts of
// each form's current version (question ids are stable across versions).
type questionTally struct {
	s        *Service
	tenantID string
	forms    map[string]*Form
	stats    map[string]*QuestionStats
	counts   map[string]map[int]int
}

func newQuestionTally(s *Service, tenantID string) *questionTally {
	return &questionTally{s: s, tenantID: tenantID, forms: map[string]*Form{}, stats: map[string]*QuestionStats{}, counts: map[string]map[int]int{}}
}

func (t *questionTally) add(ctx context.Context, row store.Evaluation) error {
	f, ok := t.forms[row.FormID]
	if !ok {
		cur, err := t.s.formAt(ctx, t.tenantID, row.FormID, 0)
		if err != nil {
			return err
		}
		f, t.forms[row.FormID] = &cur, &cur
	}
	e, err := evaluationOf(row)
	if err != nil {
		return err
	}
	for _, a := range e.Answers {
		key := row.FormID + "/" + a.QuestionID
		st := t.stats[key]
		if st == nil {
			q, _ := f.Definition.Question(a.QuestionID)
			if q.ID == "" {
				old, err := t.s.formAt(ctx, t.tenantID, row.FormID, row.FormVersion)
				if err != nil {
					return err
				}
				q, _ = old.Definition.Question(a.QuestionID)
			}
			st = &QuestionStats{FormID: row.FormID, FormName: f.Name, QuestionID: a.QuestionID, Text: q.Text, Kind: q.Kind}
			t.stats[key], t.counts[key] = st, map[int]int{}
		}
		if a.NA || a.Value == nil {
			st.NA++
		} else {
			t.counts[key][*a.Value]++
		}
	}
	return nil
}

func (t *questionTally) list() []QuestionStats {
	out := []QuestionStats{}
	for _, f := range t.forms {
		for _, q := range f.Definition.Questions() {
			if st := t.stats[f.ID+"/"+q.ID]; st != nil {
				out = append(out, t.finish(f.ID+"/"+q.ID, q))
				delete(t.stats, f.ID+"/"+q.ID)
			}
		}
	}
	keys := make([]string, 0, len(t.stats)) // questions since removed from the form
	for k := range t.stats {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, t.finish(k, Question{Kind: t.stats[k].Kind}))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].FormName < out[j].FormName })
	return out
}

func (t *questionTally) finish(key string, q Question) QuestionStats {
	st := *t.stats[key]
	lo, hi := q.Range()
	for v := lo; v <= hi; v++ {
		st.Values = append(st.Values, ValueSeen{Value: v, Count: t.counts[key][v]})
	}
	return st
}

// ValueLabel names a value of a question kind as reports show it.
func ValueLabel(kind string, v int) string {
	if kind == YesNo || kind == "" {
		if v == 1 {
			return "Yes"
		}
		return "No"
	}
	return strconv.Itoa(v)
}

// WriteCSV writes the report as one table: section, name, evaluations,
// average score (and for questions, each value's count).
func WriteCSV(w io.Writer, r Report) error {
	cw := csvexport.NewWriter(w)
	if err := cw.Write([]string{"section", "name", "evaluations", "average_score", "answers"}); err != nil {
		return err
	}
	write := func(section string, rows ...*Row) error {
		for _, row := range rows {
			if err := cw.Write([]string{section, row.Name, strconv.Itoa(row.Count), fmt.Sprintf("%.1f", row.Average), ""}); err != nil {
				return err
			}
		}
		return nil
	}
	for _, sec := range []struct {
		name string
		rows []*Row
	}{{"total", []*Row{&r.Total}}, {"agent", r.Agents}, {"group", r.Groups}, {"form", r.Forms}, {"week", r.Weeks}} {
		if err := write(sec.name, sec.rows...); err != nil {
			return err
		}
	}
	for _, q := range r.Questions {
		var parts []string
		n := q.NA
		for _, v := range q.Values {
			parts = append(parts, fmt.Sprintf("%s: %d", ValueLabel(q.Kind, v.Value), v.Count))
			n += v.Count
		}
		parts = append(parts, fmt.Sprintf("N/A: %d", q.NA))
		if err := cw.Write([]string{"question", q.FormName + " / " + q.Text, strconv.Itoa(n), "", strings.Join(parts, "; ")}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
