package ui

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"callrec/internal/analytics"
	"callrec/internal/principal"
	"callrec/internal/recordings"
	"callrec/internal/validate"
)

// analyticsView is Administration > AI / QA: topics and redaction.
type analyticsView struct {
	Topics    []analytics.TopicView
	Form      topicForm
	Redaction redactionForm
	Errors    map[string]string
}

type topicForm struct {
	ID, Name, Phrases, Exclude, Channel string
}

type redactionForm struct {
	Enabled  bool
	Patterns string
}

func analyticsErr(err error) error {
	switch {
	case errors.Is(err, analytics.ErrNotFound):
		return workspaceErr(recordings.ErrNotFound)
	case errors.Is(err, analytics.ErrForbidden):
		return workspaceErr(recordings.ErrForbidden)
	}
	return err
}

func (h *Handler) analyticsPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	v, err := h.analyticsData(r, p)
	if err != nil {
		return err
	}
	if id := r.URL.Query().Get("edit"); id != "" {
		for _, t := range v.Topics {
			if t.ID == id {
				v.Form = topicForm{ID: t.ID, Name: t.Name, Phrases: strings.Join(t.Phrases, "\n"), Exclude: strings.Join(t.Exclude, "\n"), Channel: t.Channel}
			}
		}
	}
	h.adminView(w, r, http.StatusOK, "analytics", "AI / QA", "analytics", v, "")
	return nil
}

func (h *Handler) analyticsData(r *http.Request, p *principal.Principal) (analyticsView, error) {
	ts, err := h.Analytics.Topics(r.Context(), p)
	if err != nil {
		return analyticsView{}, analyticsErr(err)
	}
	rule, err := h.Analytics.GetRedaction(r.Context(), p)
	if err != nil {
		return analyticsView{}, analyticsErr(err)
	}
	return analyticsView{Topics: ts, Form: topicForm{Channel: "any"}, Redaction: redactionForm{Enabled: rule.Enabled, Patterns: patternsText(rule.Patterns)}}, nil
}

func (h *Handler) saveTopic(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	f := topicForm{ID: r.PostForm.Get("id"), Name: r.PostForm.Get("name"), Phrases: r.PostForm.Get("phrases"),
		Exclude: r.PostForm.Get("exclude"), Channel: r.PostForm.Get("channel")}
	_, err := h.Analytics.SaveTopic(r.Context(), p, f.ID, analytics.TopicView{Name: f.Name, Phrases: strings.Split(f.Phrases, "\n"),
		Exclude: strings.Split(f.Exclude, "\n"), Channel: f.Channel})
	var errs validate.Errors
	if errors.As(err, &errs) {
		v, derr := h.analyticsData(r, p)
		if derr != nil {
			return derr
		}
		v.Form, v.Errors = f, errs
		h.adminView(w, r, http.StatusBadRequest, "analytics", "AI / QA", "analytics", v, "The topic was not saved: check the marked fields.")
		return nil
	}
	if err != nil {
		return analyticsErr(err)
	}
	h.redirectFlash(w, r, "/admin/analytics", "topic_saved")
	return nil
}

func (h *Handler) deleteTopic(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	if err := h.Analytics.DeleteTopic(r.Context(), p, r.PathValue("id")); err != nil {
		return analyticsErr(err)
	}
	h.redirectFlash(w, r, "/admin/analytics", "topic_deleted")
	return nil
}

func (h *Handler) saveRedaction(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	f := redactionForm{Enabled: formBool(r, "enabled"), Patterns: r.PostForm.Get("patterns")}
	patterns, perr := parsePatterns(f.Patterns)
	err := perr
	if err == nil {
		err = h.Analytics.SaveRedaction(r.Context(), p, analytics.RedactionRule{Enabled: f.Enabled, Patterns: patterns})
	}
	var errs validate.Errors
	if errors.As(err, &errs) {
		v, derr := h.analyticsData(r, p)
		if derr != nil {
			return derr
		}
		v.Redaction, v.Errors = f, errs
		h.adminView(w, r, http.StatusBadRequest, "analytics", "AI / QA", "analytics", v, "Redaction was not saved: check the marked fields.")
		return nil
	}
	if err != nil {
		return analyticsErr(err)
	}
	h.redirectFlash(w, r, "/admin/analytics", "redaction_saved")
	return nil
}

// patternsText writes patterns a line each: "Name | 13-19 | luhn" or
// "Name | 3-4 | after: security code, cvv".
func patternsText(ps []analytics.Pattern) string {
	var lines []string
	for _, p := range ps {
		l := fmt.Sprintf("%s | %d-%d", p.Name, p.MinDigits, p.MaxDigits)
		if p.Luhn {
			l += " | luhn"
		}
		if len(p.After) > 0 {
			l += " | after: " + strings.Join(p.After, ", ")
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

// parsePatterns reads what patternsText writes, naming the line at fault.
func parsePatterns(text string) ([]analytics.Pattern, error) {
	var out []analytics.Pattern
	for i, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		bad := func(why string) error {
			return validate.Errors{"patterns": fmt.Sprintf("line %d: %s", i+1, why)}
		}
		parts := strings.Split(line, "|")
		if len(parts) < 2 {
			return nil, bad(`write "Name | min-max", then "| luhn" or "| after: cue, cue" if needed`)
		}
		p := analytics.Pattern{Name: strings.TrimSpace(parts[0])}
		lo, hi, ok := strings.Cut(strings.TrimSpace(parts[1]), "-")
		var err1, err2 error
		p.MinDigits, err1 = strconv.Atoi(strings.TrimSpace(lo))
		p.MaxDigits, err2 = strconv.Atoi(strings.TrimSpace(hi))
		if !ok || err1 != nil || err2 != nil {
			return nil, bad("digits as min-max, e.g. 13-19")
		}
		for _, opt := range parts[2:] {
			opt = strings.TrimSpace(opt)
			switch {
			case strings.EqualFold(opt, "luhn"):
				p.Luhn = true
			case strings.HasPrefix(strings.ToLower(opt), "after:"):
				for _, c := range strings.Split(opt[len("after:"):], ",") {
					if c = strings.TrimSpace(c); c != "" {
						p.After = append(p.After, c)
					}
				}
			case opt != "":
				return nil, bad(fmt.Sprintf("%q is neither luhn nor after: …", opt))
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// summariesView is Service provider > Call summaries.
type summariesView struct {
	Config analytics.SummaryConfig
	Form   analytics.SummaryInput
	Errors map[string]string
}

func (h *Handler) summariesPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	c, err := h.Analytics.GetSummaryConfig(r.Context(), p)
	if err != nil {
		return analyticsErr(err)
	}
	h.adminView(w, r, http.StatusOK, "summaries", "Call summaries", "summaries", summariesView{Config: c, Form: analytics.SummaryInput{URL: c.URL, Model: c.Model}}, "")
	return nil
}

func (h *Handler) saveSummaries(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	in := analytics.SummaryInput{URL: r.PostForm.Get("url"), Model: r.PostForm.Get("model"), Key: r.PostForm.Get("key"), ClearKey: formBool(r, "clear_key")}
	err := h.Analytics.SaveSummaryConfig(r.Context(), p, in)
	var errs validate.Errors
	if errors.As(err, &errs) {
		c, gerr := h.Analytics.GetSummaryConfig(r.Context(), p)
		if gerr != nil {
			return analyticsErr(gerr)
		}
		in.Key = ""
		h.adminView(w, r, http.StatusBadRequest, "summaries", "Call summaries", "summaries", summariesView{Config: c, Form: in, Errors: errs},
			"The settings were not saved: check the marked fields.")
		return nil
	}
	if err != nil {
		return analyticsErr(err)
	}
	h.redirectFlash(w, r, "/admin/provider/summaries", "summaries_saved")
	return nil
}
