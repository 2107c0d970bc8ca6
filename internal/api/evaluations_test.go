package api_test

import (
	"context"
	"strings"
	"testing"

	"callrec/internal/account"
	"callrec/internal/blob"
	"callrec/internal/roles"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// evalSetup makes A's self-view user a licensed member of a group the
// supervisor manages, gives them a finished call, and has the admin build
// a form; it returns the call and form ids.
func evalSetup(t *testing.T, e *env) (callID, formID string) {
	t.Helper()
	ctx := context.Background()
	sales := "Sales"
	g, err := e.accounts.CreateGroup(ctx, account.System, e.tenantA.ID, account.GroupInput{Name: &sales})
	if err != nil {
		t.Fatal(err)
	}
	e.users["A:ev-agent"] = e.mustUser(ctx, e.tenantA.ID, "ev-agent", roles.UserSelfView)
	e.users["A:ev-sup"] = e.mustUser(ctx, e.tenantA.ID, "ev-sup", roles.Supervisor)
	if _, err := e.accounts.UpdateUser(ctx, account.System, e.tenantA.ID, e.users["A:ev-agent"].ID,
		account.UserInput{Groups: &[]string{g.ID}, Licenses: &[]string{"agent_evaluation"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.accounts.UpdateUser(ctx, account.System, e.tenantA.ID, e.users["A:ev-sup"].ID,
		account.UserInput{ManagedGroups: &[]string{g.ID}}); err != nil {
		t.Fatal(err)
	}
	disk, err := blob.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w := &workspace{env: e, blobs: disk}
	callID = w.call(e.tenantA.ID, e.users["A:ev-agent"].ID, false, nil).ID
	admin := e.tokenClient("A:admin")
	res := admin.want(201, "POST", "/api/v1/evaluation-forms", evalForm)
	return callID, res.body["id"].(string)
}

var evalForm = map[string]any{"name": "Basics", "definition": map[string]any{"sections": []any{map[string]any{"title": "Call",
	"questions": []any{
		map[string]any{"text": "Greeted the caller", "kind": "yes_no", "weight": 1},
		map[string]any{"text": "Tone", "kind": "scale_5", "weight": 3, "allow_na": true},
		map[string]any{"text": "Verified identity", "kind": "yes_no", "weight": 0, "critical": true},
	}}}}}

func evalAnswers(formID string, greet, tone, id int) map[string]any {
	return map[string]any{"form_id": formID, "answers": []any{
		map[string]any{"question_id": "q1", "value": greet, "at_ms": 1500},
		map[string]any{"question_id": "q2", "value": tone},
		map[string]any{"question_id": "q3", "value": id}}}
}

// TestEvaluationsOverHTTP walks the whole round through the API with the
// roles that may and may not take each step, and from another tenant.
func TestEvaluationsOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		callID, formID := evalSetup(t, e)
		sup, res := e.sessionClient("ev-sup", testPassword, "")
		acceptTermsIfAsked(t, sup, res)
		agent, res := e.sessionClient("ev-agent", testPassword, "")
		acceptTermsIfAsked(t, agent, res)
		admin, other := e.tokenClient("A:admin"), e.tokenClient("B:admin")

		// Forms: only admins build them; supervisors read them; B sees none of A's.
		sup.want(403, "POST", "/api/v1/evaluation-forms", evalForm)
		agent.want(403, "GET", "/api/v1/evaluation-forms", nil)
		sup.want(200, "GET", "/api/v1/evaluation-forms/"+formID, nil)
		other.want(404, "GET", "/api/v1/evaluation-forms/"+formID, nil)
		other.want(404, "PATCH", "/api/v1/evaluation-forms/"+formID, map[string]any{"name": "mine"})
		if res := admin.want(400, "POST", "/api/v1/evaluation-forms", map[string]any{"name": "", "definition": map[string]any{"sections": []any{}}}); res.field("sections") == "" || res.field("name") == "" {
			t.Errorf("empty form: %s", res.raw)
		}

		// Evaluate: the supervisor may, the agent may not; B cannot see the call.
		agent.want(403, "POST", "/api/v1/calls/"+callID+"/evaluations", evalAnswers(formID, 1, 3, 1))
		other.want(404, "POST", "/api/v1/calls/"+callID+"/evaluations", evalAnswers(formID, 1, 3, 1))
		if res := sup.want(400, "POST", "/api/v1/calls/"+callID+"/evaluations", evalAnswers(formID, 1, 7, 1)); res.field("answers[1].value") == "" {
			t.Errorf("out of range: %s", res.raw)
		}
		ev := sup.want(201, "POST", "/api/v1/calls/"+callID+"/evaluations", evalAnswers(formID, 1, 3, 1))
		id := ev.body["id"].(string)
		if ev.body["score"] != 62.5 {
			t.Errorf("score %v, want 62.5", ev.body["score"])
		}
		// The supervisor's own call cannot be evaluated by them.
		disk, err := blob.NewDisk(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		own := (&workspace{env: e, blobs: disk}).call(e.tenantA.ID, e.users["A:ev-sup"].ID, false, nil).ID
		if res := sup.want(409, "POST", "/api/v1/calls/"+own+"/evaluations", evalAnswers(formID, 1, 3, 1)); res.errCode() != "not_evaluable" {
			t.Errorf("own call: %s", res.raw)
		}

		// The agent sees it and disputes; only the agent may.
		if res := agent.want(200, "GET", "/api/v1/evaluations?mine=true", nil); len(res.items()) != 1 {
			t.Errorf("agent's list: %s", res.raw)
		}
		other.want(404, "GET", "/api/v1/evaluations/"+id, nil)
		if res := other.want(200, "GET", "/api/v1/evaluations", nil); len(res.items()) != 0 {
			t.Errorf("B lists A's evaluations: %s", res.raw)
		}
		sup.want(409, "POST", "/api/v1/evaluations/"+id+"/dispute", map[string]string{"comment": "no"})
		agent.want(400, "POST", "/api/v1/evaluations/"+id+"/dispute", map[string]string{"comment": ""})
		agent.want(200, "POST", "/api/v1/evaluations/"+id+"/dispute", map[string]string{"comment": "I did verify"})
		agent.want(403, "POST", "/api/v1/evaluations/"+id+"/uphold", map[string]string{"comment": "x"})
		other.want(404, "POST", "/api/v1/evaluations/"+id+"/uphold", map[string]string{"comment": "x"})

		// The evaluator sees it disputed and upholds; the agent acknowledges.
		if res := sup.want(200, "GET", "/api/v1/evaluations?status=disputed", nil); !strings.Contains(res.raw, "I did verify") {
			t.Errorf("evaluator's disputed list: %s", res.raw)
		}
		sup.want(200, "POST", "/api/v1/evaluations/"+id+"/uphold", map[string]string{"comment": "the recording shows none"})
		if res := agent.want(200, "POST", "/api/v1/evaluations/"+id+"/acknowledge", map[string]string{}); res.body["status"] != store.EvalAcknowledged {
			t.Errorf("acknowledge: %s", res.raw)
		}
		sup.want(409, "POST", "/api/v1/evaluations/"+id+"/revise", evalAnswers(formID, 1, 5, 1))

		// Reports: in scope, and empty for B.
		if res := sup.want(200, "GET", "/api/v1/evaluation-reports", nil); res.body["total"].(map[string]any)["evaluations"] != 1.0 {
			t.Errorf("report: %s", res.raw)
		}
		agent.want(403, "GET", "/api/v1/evaluation-reports", nil)
		if res := other.want(200, "GET", "/api/v1/evaluation-reports", nil); res.body["total"].(map[string]any)["evaluations"] != 0.0 {
			t.Errorf("B's report: %s", res.raw)
		}
		if res := admin.want(200, "GET", "/api/v1/evaluation-reports/export", nil); !strings.Contains(res.raw, "agent,Ev-agent,1,62.5") {
			t.Errorf("csv: %s", res.raw)
		}
		admin.want(400, "GET", "/api/v1/evaluation-reports?from=2026-02-01&to=2025-01-01", nil)
	})
}

// evaluationSamples exercises every evaluations operation against the
// document.
func (k *contract) evaluationSamples() {
	callID, formID := evalSetup(k.t, k.env)
	admin := k.tokenClient("A:admin")
	sup := k.signIn(k.users["A:ev-sup"].Login, "")
	agent := k.signIn(k.users["A:ev-agent"].Login, "")
	k.expect(req{c: admin, method: "GET", path: "/api/v1/evaluation-forms?archived=true", want: 200})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/evaluation-forms/" + formID, want: 200})
	k.expect(req{c: admin, method: "POST", path: "/api/v1/evaluation-forms", body: evalForm, want: 201})
	k.expect(req{c: admin, method: "PATCH", path: "/api/v1/evaluation-forms/" + formID, body: map[string]any{"name": "Basics v2"}, want: 200})
	id := k.expect(req{c: sup, method: "POST", path: "/api/v1/calls/" + callID + "/evaluations", body: evalAnswers(formID, 1, 4, 1), want: 201}).str("id")
	k.expect(req{c: sup, method: "GET", path: "/api/v1/evaluations?status=submitted", want: 200})
	k.expect(req{c: agent, method: "GET", path: "/api/v1/evaluations/" + id, want: 200})
	k.expect(req{c: agent, method: "POST", path: "/api/v1/evaluations/" + id + "/dispute", body: map[string]string{"comment": "listen at 0:02"}, want: 200})
	k.expect(req{c: sup, method: "POST", path: "/api/v1/evaluations/" + id + "/revise", body: evalAnswers(formID, 1, 5, 1), want: 200})
	k.expect(req{c: agent, method: "POST", path: "/api/v1/evaluations/" + id + "/dispute", body: map[string]string{"comment": "still"}, want: 200})
	k.expect(req{c: sup, method: "POST", path: "/api/v1/evaluations/" + id + "/uphold", body: map[string]string{"comment": "kept"}, want: 200})
	k.expect(req{c: agent, method: "POST", path: "/api/v1/evaluations/" + id + "/acknowledge", body: map[string]string{"comment": "ok"}, want: 200})
	k.expect(req{c: sup, method: "GET", path: "/api/v1/evaluation-reports", want: 200})
	k.expect(req{c: sup, method: "GET", path: "/api/v1/evaluation-reports/export?form_id=" + formID, want: 200})
	k.expect(req{c: sup, method: "POST", path: "/api/v1/evaluations/" + id + "/uphold", body: map[string]string{"comment": "again"}, want: 409})
}
