package api

import (
	"errors"
	"net/http"
	"time"

	"callrec/internal/analytics"
	"callrec/internal/principal"
	"callrec/internal/roles"
)

// registerAnalytics lists speech analytics beyond the transcript: a call's
// analysis, the dashboard's insights, topics, redaction and the provider's
// summary endpoint — the same service as the portal's AI / QA pages.
func (h *Handler) registerAnalytics(mux *http.ServeMux) {
	if h.Analytics == nil {
		return
	}
	settings := access{perm: roles.SettingsManage, tenant: true}
	h.route(mux, "GET /api/v1/calls/{id}/analytics", access{rule: roles.ViewCalls, tenant: true}, h.getCallAnalytics)
	h.route(mux, "GET /api/v1/analytics/insights", access{perm: roles.Reports, tenant: true}, h.getInsights)
	h.route(mux, "GET /api/v1/analytics/topics", access{perm: roles.Reports, tenant: true}, h.listTopics)
	h.route(mux, "POST /api/v1/analytics/topics", settings, h.createTopic)
	h.route(mux, "PUT /api/v1/analytics/topics/{id}", settings, h.updateTopic)
	h.route(mux, "DELETE /api/v1/analytics/topics/{id}", settings, h.deleteTopic)
	h.route(mux, "GET /api/v1/analytics/redaction", settings, h.getRedaction)
	h.route(mux, "PUT /api/v1/analytics/redaction", settings, h.putRedaction)
	h.route(mux, "GET /api/v1/provider/summaries", access{perm: roles.TenantsManage}, h.getSummaries)
	h.route(mux, "PUT /api/v1/provider/summaries", access{perm: roles.TenantsManage}, h.putSummaries)
}

func analyticsErr(err error) error {
	switch {
	case errors.Is(err, analytics.ErrNotFound):
		return errNotFound
	case errors.Is(err, analytics.ErrForbidden):
		return errForbidden
	}
	return workspaceErr(err)
}

func (h *Handler) getCallAnalytics(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	v, err := h.Analytics.Call(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return analyticsErr(err)
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// getInsights answers ?from=YYYY-MM-DD&to=YYYY-MM-DD (to inclusive, the
// viewer's zone; default the last 7 days), group_id and user_id, as the
// dashboard does.
func (h *Handler) getInsights(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	from, to, loc, err := h.period(r, p)
	if err != nil {
		return err
	}
	if !to.After(from) || to.Sub(from) > 367*24*time.Hour {
		return validationFailed(map[string]string{"to": "after from, at most a year later"})
	}
	q := r.URL.Query()
	in, err := h.Analytics.Insights(r.Context(), p, analytics.InsightsQuery{From: from, To: to, GroupID: q.Get("group_id"), UserID: q.Get("user_id"), Location: loc})
	if err != nil {
		return analyticsErr(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"from": from.Format("2006-01-02"), "to": to.AddDate(0, 0, -1).Format("2006-01-02"),
		"zone": loc.String(), "insights": in})
	return nil
}

func (h *Handler) listTopics(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	ts, err := h.Analytics.Topics(r.Context(), p)
	if err != nil {
		return analyticsErr(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": ts})
	return nil
}

// topicInput is what a client sends for a topic.
type topicInput struct {
	Name    string   `json:"name"`
	Phrases []string `json:"phrases"`
	Exclude []string `json:"exclude"`
	Channel string   `json:"channel"`
}

func (h *Handler) saveTopic(w http.ResponseWriter, r *http.Request, p *principal.Principal, id string, status int) error {
	var in topicInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	t, err := h.Analytics.SaveTopic(r.Context(), p, id, analytics.TopicView{Name: in.Name, Phrases: in.Phrases, Exclude: in.Exclude, Channel: in.Channel})
	if err != nil {
		return analyticsErr(err)
	}
	writeJSON(w, status, t)
	return nil
}

func (h *Handler) createTopic(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	return h.saveTopic(w, r, p, "", http.StatusCreated)
}

func (h *Handler) updateTopic(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	return h.saveTopic(w, r, p, r.PathValue("id"), http.StatusOK)
}

func (h *Handler) deleteTopic(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	if err := h.Analytics.DeleteTopic(r.Context(), p, r.PathValue("id")); err != nil {
		return analyticsErr(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) getRedaction(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	rule, err := h.Analytics.GetRedaction(r.Context(), p)
	if err != nil {
		return analyticsErr(err)
	}
	writeJSON(w, http.StatusOK, rule)
	return nil
}

func (h *Handler) putRedaction(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var in analytics.RedactionRule
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := h.Analytics.SaveRedaction(r.Context(), p, in); err != nil {
		return analyticsErr(err)
	}
	return h.getRedaction(w, r, p)
}

func (h *Handler) getSummaries(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	c, err := h.Analytics.GetSummaryConfig(r.Context(), p)
	if err != nil {
		return analyticsErr(err)
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (h *Handler) putSummaries(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var in analytics.SummaryInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := h.Analytics.SaveSummaryConfig(r.Context(), p, in); err != nil {
		return analyticsErr(err)
	}
	return h.getSummaries(w, r, p)
}
