package api_test

import (
	"context"

	"callrec/internal/store"
)

// analyticsSamples: the provider sets the summary endpoint; an admin
// builds topics and the redaction rule; a call's analysis and the
// dashboard's insights are read; wrong input and wrong callers are refused.
func (k *contract) analyticsSamples() {
	ctx := context.Background()
	prov := k.signIn("provider", "")
	k.expect(req{c: prov, method: "GET", path: "/api/v1/provider/summaries", want: 200})
	k.expect(req{c: prov, method: "PUT", path: "/api/v1/provider/summaries", body: map[string]any{"url": "ftp://x"}, want: 400})
	k.expect(req{c: prov, method: "PUT", path: "/api/v1/provider/summaries", want: 200,
		body: map[string]any{"url": "http://127.0.0.1:9", "model": "gpt-4o-mini", "key": "sk-sample"}})
	k.expect(req{c: prov, method: "PUT", path: "/api/v1/provider/summaries", body: map[string]any{"url": ""}, want: 200})
	admin := k.signIn(k.users["A:admin"].Login, "")
	k.expect(req{c: admin, method: "PUT", path: "/api/v1/provider/summaries", body: map[string]any{"url": ""}, want: 403})

	topic := k.expect(req{c: admin, method: "POST", path: "/api/v1/analytics/topics", want: 201,
		body: map[string]any{"name": "Cancellation", "phrases": []string{"cancel my account", "close NEAR/3 account"}}})
	id := topic.str("id")
	k.expect(req{c: admin, method: "POST", path: "/api/v1/analytics/topics", want: 400,
		body: map[string]any{"name": "Bad", "phrases": []string{"a NEAR/99 b"}}})
	k.expect(req{c: admin, method: "PUT", path: "/api/v1/analytics/topics/" + id, want: 200,
		body: map[string]any{"name": "Cancellation", "phrases": []string{"cancel"}, "exclude": []string{"not cancel"}, "channel": "other"}})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/analytics/topics", want: 200})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/analytics/redaction", want: 200})
	k.expect(req{c: admin, method: "PUT", path: "/api/v1/analytics/redaction", want: 400, body: map[string]any{"enabled": true, "patterns": []any{}}})
	k.expect(req{c: admin, method: "PUT", path: "/api/v1/analytics/redaction", want: 200, body: map[string]any{"enabled": true,
		"patterns": []any{map[string]any{"name": "card number", "min_digits": 13, "max_digits": 19, "luhn": true}}}})
	self := k.signIn(k.users["A:user_self_view"].Login, "")
	k.expect(req{c: self, method: "PUT", path: "/api/v1/analytics/redaction", want: 403, body: map[string]any{"enabled": false, "patterns": []any{}}})

	w := &workspace{env: k.env, blobs: k.blobs}
	c := w.call(k.tenantA.ID, k.users["A:user"].ID, false, nil)
	k.expect(req{c: admin, method: "GET", path: "/api/v1/calls/" + c.ID + "/analytics", want: 404})
	if err := k.db.Q().SaveCallAnalytics(ctx, store.CallAnalytics{CallID: c.ID, TenantID: k.tenantA.ID, StartedAt: c.StartedAt, Sentiment: -0.4,
		Label: "negative", AgentSentiment: 0.3, OtherSentiment: -0.6, Utterances: `[{"compound":0.3,"label":"positive"},{"compound":-0.6,"label":"negative"}]`,
		CreatedAt: k.db.Now()}, []store.CallTopic{{TopicID: id, Hits: 1, FirstMS: 2300}}); err != nil {
		k.t.Fatal(err)
	}
	got := k.expect(req{c: admin, method: "GET", path: "/api/v1/calls/" + c.ID + "/analytics", want: 200})
	if s, _ := got.body["sentiment"].(map[string]any); s["label"] != "negative" {
		k.t.Errorf("call analytics %v", got.body)
	}
	k.expect(req{c: admin, method: "GET", path: "/api/v1/analytics/insights", want: 200})
	day := k.clock.Now().Format("2006-01-02")
	k.expect(req{c: admin, method: "GET", path: "/api/v1/analytics/insights?from=" + day + "&to=" + day, want: 200})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/analytics/insights?from=yesterday", want: 400, invalid: true})
	k.expect(req{c: admin, method: "DELETE", path: "/api/v1/analytics/topics/" + id, want: 204})
	k.expect(req{c: admin, method: "DELETE", path: "/api/v1/analytics/topics/" + id, want: 404})
}
