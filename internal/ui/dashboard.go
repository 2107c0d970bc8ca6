package ui

import (
	"fmt"
	"math"
	"net/http"
	"time"

	"callrec/internal/principal"
	"callrec/internal/recordings"
)

// tile is one figure of the dashboard with its change from the previous period.
type tile struct {
	Label    string
	Value    string
	Previous string
	Change   string
	Up, Down bool
}

// bar is one day of the chart, positioned in SVG units.
type bar struct {
	X, Y, W, H float64
	Label      string
	Title      string
	ShowLabel  bool
}

// dashboardView is the Dashboard page.
type dashboardView struct {
	From, To      string
	GroupID       string
	UserID        string
	Users, Groups []recordings.Choice
	Tiles         []tile
	Bars          []bar
	Max           int64
	Ticks         []bar
	Period        string
	PrevPeriod    string
	Zone          string
	Storage       *recordings.StorageUse
	StorageMB     string
	Retention     int
	Error         string
	Insights      *insightsView // speech analytics (nil: none on this node)
}

const chartW, chartH = 720.0, 200.0

func (h *Handler) dashboardPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	svc := h.Calls
	ctx := r.Context()
	loc := svc.Location(ctx, p)
	q := r.URL.Query()
	from, to := svc.Range("last7", loc)
	v := dashboardView{GroupID: q.Get("group_id"), UserID: q.Get("user_id"), Zone: loc.String()}
	if t, err := time.ParseInLocation("2006-01-02", q.Get("from"), loc); err == nil {
		from = t
	}
	if t, err := time.ParseInLocation("2006-01-02", q.Get("to"), loc); err == nil {
		to = t.AddDate(0, 0, 1)
	}
	d, err := svc.Dashboard(ctx, p, recordings.DashboardQuery{From: from, To: to, GroupID: v.GroupID, UserID: v.UserID})
	if err == recordings.ErrRange {
		v.Error = "The range must run forward and span at most a year; showing the last 7 days."
		from, to = svc.Range("last7", loc)
		d, err = svc.Dashboard(ctx, p, recordings.DashboardQuery{From: from, To: to, GroupID: v.GroupID, UserID: v.UserID})
	}
	if err != nil {
		return workspaceErr(err)
	}
	v.From, v.To = from.Format("2006-01-02"), to.AddDate(0, 0, -1).Format("2006-01-02")
	days := len(d.Days)
	v.Period = fmt.Sprintf("%s – %s", from.Format("2 Jan 2006"), to.AddDate(0, 0, -1).Format("2 Jan 2006"))
	v.PrevPeriod = fmt.Sprintf("%s – %s", from.AddDate(0, 0, -days).Format("2 Jan"), from.AddDate(0, 0, -1).Format("2 Jan 2006"))
	c, pr := d.Current, d.Previous
	v.Tiles = []tile{
		newTile("Calls", c.Calls, pr.Calls),
		minutesTile(c.DurationMS, pr.DurationMS),
		newTile("Groups", c.Groups, pr.Groups),
		newTile("Users", c.Users, pr.Users),
	}
	v.Bars, v.Max, v.Ticks = chart(d.Days)
	if v.Users, v.Groups, err = svc.FilterChoices(ctx, p); err != nil {
		return err
	}
	if v.Insights, err = h.insights(r, p, from, to, v.GroupID, v.UserID, loc); err != nil {
		return err
	}
	if st, err := svc.Storage(ctx, p); err == nil {
		v.Storage, v.StorageMB, v.Retention = &st, size(st.Bytes), st.RetentionDays
	} else if !shownOnlyTo(err) {
		return err
	}
	h.render(w, r, http.StatusOK, "dashboard", view{Title: "Dashboard", Nav: "dashboard", Data: v})
	return nil
}

func newTile(label string, cur, prev int64) tile {
	t := tile{Label: label, Value: fmt.Sprint(cur), Previous: fmt.Sprint(prev)}
	switch {
	case prev == 0 && cur == 0:
		t.Change = "no change"
	case prev == 0:
		t.Change, t.Up = "new", true
	default:
		pct := math.Round(float64(cur-prev) * 100 / float64(prev))
		t.Change = fmt.Sprintf("%+.0f%%", pct)
		t.Up, t.Down = pct > 0, pct < 0
	}
	return t
}

// chart lays out the calls-per-day bars and the y-axis ticks.
func chart(days []recordings.Day) (bars []bar, top int64, ticks []bar) {
	for _, d := range days {
		top = max(top, d.Calls)
	}
	scale := max(top, 4)
	slot := chartW / float64(max(len(days), 1))
	every := max(1, len(days)/12)
	for i, d := range days {
		h := float64(d.Calls) / float64(scale) * chartH
		t, _ := time.Parse("2006-01-02", d.Date)
		bars = append(bars, bar{X: float64(i)*slot + slot*0.15, Y: chartH - h, W: slot * 0.7, H: h,
			Label: t.Format("2 Jan"), Title: fmt.Sprintf("%s: %d calls", t.Format("Mon 2 Jan"), d.Calls), ShowLabel: i%every == 0})
	}
	for i := int64(0); i <= 4; i++ {
		val := scale * i / 4
		ticks = append(ticks, bar{Y: chartH - float64(val)/float64(scale)*chartH, Label: fmt.Sprint(val)})
	}
	return bars, top, ticks
}

// minutesTile is call time in minutes, to a tenth below a hundred.
func minutesTile(cur, prev int64) tile {
	t := newTile("Call time (minutes)", cur, prev)
	fm := func(ms int64) string {
		if m := float64(ms) / 60_000; m < 100 {
			return fmt.Sprintf("%.1f", m)
		}
		return fmt.Sprint((ms + 30_000) / 60_000)
	}
	t.Value, t.Previous = fm(cur), fm(prev)
	return t
}

// size is a byte count for people.
func size(b int64) string {
	switch {
	case b >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(b)/1e9)
	case b >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(b)/1e6)
	}
	return fmt.Sprintf("%.0f kB", float64(b)/1e3)
}
