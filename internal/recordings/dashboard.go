package recordings

import (
	"context"
	"errors"
	"time"

	"callrec/internal/caller"
	"callrec/internal/roles"
	"callrec/internal/store"
)

// maxDashboardDays bounds the dashboard's range (one query per day).
const maxDashboardDays = 366

// ErrRange means the dashboard's dates are reversed or too far apart.
var ErrRange = errors.New("recordings: the date range must run forward and span at most a year")

// DashboardQuery is what the dashboard shows: whole days [From, To) in
// the viewer's time zone, optionally one group or user.
type DashboardQuery struct {
	From, To time.Time // midnights in the viewer's zone
	GroupID  string
	UserID   string
}

// Day is one bar of the calls-per-day chart.
type Day struct {
	Date  string `json:"date"` // YYYY-MM-DD in the viewer's zone
	Calls int64  `json:"calls"`
}

// Dashboard is the figures for a range and the period just before it.
type Dashboard struct {
	From     time.Time       `json:"from"`
	To       time.Time       `json:"to"`
	Current  store.CallStats `json:"current"`
	Previous store.CallStats `json:"previous"`
	Days     []Day           `json:"days"`
}

// Dashboard counts the calls the caller may see in the range and in the
// previous period of the same length, and the calls per day.
func (s *Service) Dashboard(ctx context.Context, p *caller.Caller, dq DashboardQuery) (Dashboard, error) {
	out := Dashboard{From: dq.From, To: dq.To, Days: []Day{}}
	if !p.Can(roles.Reports) {
		return out, ErrForbidden
	}
	days := int(dq.To.Sub(dq.From).Round(time.Hour).Hours()+12) / 24
	if !dq.To.After(dq.From) || days > maxDashboardDays {
		return out, ErrRange
	}
	sc, err := s.ScopeOf(ctx, p)
	if err != nil {
		return out, err
	}
	stats := func(from, to time.Time) (store.CallStats, error) {
		f := store.RecordingFilter{From: &from, To: &to, GroupID: dq.GroupID, UserID: dq.UserID}
		sc.apply(&f)
		return s.DB.Q().RecordingStats(ctx, p.TenantID, f)
	}
	if out.Current, err = stats(dq.From, dq.To); err != nil {
		return out, err
	}
	prevFrom := dq.From.AddDate(0, 0, -days)
	if out.Previous, err = stats(prevFrom, dq.From); err != nil {
		return out, err
	}
	for d := dq.From; d.Before(dq.To); d = d.AddDate(0, 0, 1) {
		st, err := stats(d, d.AddDate(0, 0, 1))
		if err != nil {
			return out, err
		}
		out.Days = append(out.Days, Day{Date: d.Format("2006-01-02"), Calls: st.Calls})
	}
	return out, nil
}
