package ui

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"callrec/internal/analytics"
	"callrec/internal/principal"
	"callrec/internal/store"
)

// insightsView is the dashboard's speech analytics: the Sentiment tile,
// the sentiment heatmap and the topics.
type insightsView struct {
	Analysed           int64
	Sentiment          string // mean compound, signed
	Label              string
	Positive, Negative string // shares of analysed calls
	Days               []heatRow
	Hours              []heatLabel
	Topics             []topicBar
}

type heatRow struct {
	Day    string
	LabelY int
	Cells  []heatCell
}

type heatLabel struct {
	X    int
	Text string
}

type heatCell struct {
	X, Y  int
	Class string
	Title string
}

type topicBar struct {
	Name  string
	Calls int64
	Width float64 // percent of the most mentioned
}

// insights reads the dashboard's analytics; nil when this node has none.
func (h *Handler) insights(r *http.Request, p *principal.Principal, from, to time.Time, groupID, userID string, loc *time.Location) (*insightsView, error) {
	if h.Analytics == nil {
		return nil, nil
	}
	in, err := h.Analytics.Insights(r.Context(), p, analytics.InsightsQuery{From: from, To: to, GroupID: groupID, UserID: userID, Location: loc})
	if errors.Is(err, analytics.ErrForbidden) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	v := &insightsView{Analysed: in.Analysed}
	if in.Analysed > 0 {
		v.Sentiment = fmt.Sprintf("%+.2f", in.Sentiment)
		v.Label = analytics.Label(in.Sentiment)
		v.Positive = fmt.Sprintf("%.0f%%", float64(in.Positive)*100/float64(in.Analysed))
		v.Negative = fmt.Sprintf("%.0f%%", float64(in.Negative)*100/float64(in.Analysed))
	}
	for hr := 0; hr < 24; hr += 3 {
		v.Hours = append(v.Hours, heatLabel{X: hr * 26, Text: fmt.Sprintf("%02d", hr)})
	}
	// Monday first, as a working week reads.
	for i, wd := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday} {
		row := heatRow{Day: wd.String()[:3], LabelY: i*26 + 17}
		for hr, c := range in.Heatmap[wd] {
			cell := heatCell{X: hr * 26, Y: i * 26, Class: "s-none", Title: fmt.Sprintf("%s %02d:00: no analysed calls", wd, hr)}
			if c.Calls > 0 {
				cell.Class = heatClass(c.Sentiment)
				cell.Title = fmt.Sprintf("%s %02d:00: %d calls, sentiment %+.2f (%s)", wd, hr, c.Calls, c.Sentiment, analytics.Label(c.Sentiment))
			}
			row.Cells = append(row.Cells, cell)
		}
		v.Days = append(v.Days, row)
	}
	for _, t := range in.Topics {
		v.Topics = append(v.Topics, topicBar{Name: t.Name, Calls: t.Calls, Width: float64(t.Calls) * 100 / float64(in.Topics[0].Calls)})
		if len(v.Topics) == 8 {
			break
		}
	}
	return v, nil
}

func heatClass(c float64) string {
	switch {
	case c <= -0.4:
		return "s-neg2"
	case c <= -0.05:
		return "s-neg1"
	case c < 0.05:
		return "s-neu"
	case c < 0.4:
		return "s-pos1"
	}
	return "s-pos2"
}

// callInsights is the call page's analysis card: nil when there is none
// to show.
type callInsights struct {
	analytics.CallView
	Topics []callTopic
}

type callTopic struct {
	store.CallTopic
	At string
}

func (h *Handler) callAnalytics(r *http.Request, p *principal.Principal, callID string) (*callInsights, error) {
	if h.Analytics == nil {
		return nil, nil
	}
	cv, err := h.Analytics.Call(r.Context(), p, callID)
	if errors.Is(err, analytics.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	v := &callInsights{CallView: cv}
	for _, t := range cv.Topics {
		v.Topics = append(v.Topics, callTopic{CallTopic: t, At: clock(t.FirstMS)})
	}
	return v, nil
}
