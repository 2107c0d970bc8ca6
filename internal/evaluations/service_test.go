package evaluations_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"callrec/internal/account"
	"callrec/internal/caller"
	"callrec/internal/clock"
	"callrec/internal/evaluations"
	"callrec/internal/recordings"
	"callrec/internal/roles"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
	"callrec/internal/validate"
)

func ptr[T any](v T) *T { return &v }

// fixture is two tenants: in A an admin, a supervisor managing group
// Sales, two of its members (Megan licensed for evaluation, Alex not)
// and Nestor outside it; in B an admin and a licensed agent.
type fixture struct {
	t     *testing.T
	db    *store.DB
	clock *clock.Fake
	svc   *evaluations.Service
	who   map[string]*caller.Caller
	calls map[string]string // user name → a finished call of theirs
}

func newFixture(t *testing.T, b storetest.Backend) *fixture {
	t.Helper()
	ctx := context.Background()
	c := clock.NewFake()
	db := storetest.Open(t, b, c.Now)
	accounts := account.New(db, c.Now)
	f := &fixture{t: t, db: db, clock: c, who: map[string]*caller.Caller{}, calls: map[string]string{}}
	f.svc = &evaluations.Service{DB: db, Accounts: accounts, Calls: &recordings.Service{DB: db, Accounts: accounts, Now: c.Now}}
	pools := map[string]int{"call_recording": 10, "agent_evaluation": 10, "speech_analytics": 10}
	for _, tn := range []string{"A", "B"} {
		tenant, err := accounts.CreateTenant(ctx, account.System, account.TenantInput{Name: ptr("Tenant " + tn), Licenses: pools})
		if err != nil {
			t.Fatal(err)
		}
		g, err := accounts.CreateGroup(ctx, account.System, tenant.ID, account.GroupInput{Name: ptr("Sales " + tn)})
		if err != nil {
			t.Fatal(err)
		}
		mk := func(name, role string, in account.UserInput) {
			in.Name, in.Role, in.Login = ptr(name), ptr(role), ptr(strings.ToLower(strings.ReplaceAll(name, " ", ".")))
			u, err := accounts.CreateUser(ctx, account.System, tenant.ID, in)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			f.who[name] = &caller.Caller{User: u, TenantID: tenant.ID}
			call := store.Call{ID: account.NewID(), TenantID: tenant.ID, State: store.CallCompleted, Direction: "inbound",
				StartedAt: c.Now().Add(-time.Hour), DurationMS: 60_000, Recorded: true, RecordedUserID: u.ID, CreatedAt: c.Now(), UpdatedAt: c.Now()}
			if err := db.Q().InsertCall(ctx, call); err != nil {
				t.Fatal(err)
			}
			f.calls[name] = call.ID
		}
		mk("Admin "+tn, roles.Admin, account.UserInput{})
		mk("Sam "+tn, roles.Supervisor, account.UserInput{ManagedGroups: &[]string{g.ID}})
		mk("Megan "+tn, roles.UserSelfView, account.UserInput{Groups: &[]string{g.ID}, Licenses: &[]string{"call_recording", "agent_evaluation"}})
		mk("Alex "+tn, roles.UserSelfView, account.UserInput{Groups: &[]string{g.ID}, Licenses: &[]string{"call_recording"}})
		mk("Nestor "+tn, roles.UserSelfView, account.UserInput{Licenses: &[]string{"agent_evaluation"}})
	}
	return f
}

func (f *fixture) form(as string) evaluations.Form {
	f.t.Helper()
	form, err := f.svc.CreateForm(context.Background(), f.who[as], evaluations.FormInput{Name: ptr("Basics"), Definition: &evaluations.Definition{
		Sections: []evaluations.Section{{Title: "Call", Questions: []evaluations.Question{
			{Text: "Greeted the caller", Kind: evaluations.YesNo, Weight: 1, Rule: "thank you for calling"},
			{Text: "Tone", Kind: evaluations.Scale5, Weight: 3, AllowNA: true},
			{Text: "Verified identity", Kind: evaluations.YesNo, Weight: 0, Critical: true},
		}}}}})
	if err != nil {
		f.t.Fatal(err)
	}
	return form
}

func answers(greet, tone, id int) []evaluations.Answer {
	return []evaluations.Answer{{QuestionID: "q1", Value: &greet}, {QuestionID: "q2", Value: &tone}, {QuestionID: "q3", Value: &id}}
}

// TestEvaluationLifecycle: a supervisor evaluates a licensed member's
// call, the agent disputes, the supervisor sees it disputed, revises,
// the agent acknowledges; each step is audited.
func TestEvaluationLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b)
		form := f.form("Admin A")
		sam, megan := f.who["Sam A"], f.who["Megan A"]

		e, err := f.svc.Submit(ctx, sam, f.calls["Megan A"], evaluations.Input{FormID: form.ID, Answers: answers(1, 3, 1), Comment: "good"})
		if err != nil {
			t.Fatal(err)
		}
		// (1*1 + 3*0.5) / 4 = 62.5
		if e.Score != 62.5 || e.Status != store.EvalSubmitted || e.FormVersion != 1 || e.AgentID != megan.User.ID {
			t.Fatalf("submitted %+v", e)
		}
		mine, err := f.svc.List(ctx, megan, evaluations.ListFilter{})
		if err != nil || len(mine) != 1 || mine[0].ID != e.ID {
			t.Fatalf("agent's list %v %v", mine, err)
		}
		if _, err := f.svc.Dispute(ctx, megan, e.ID, "  "); !isValidation(err, "comment") {
			t.Fatalf("empty dispute: %v", err)
		}
		if _, err := f.svc.Dispute(ctx, sam, e.ID, "no"); !errors.Is(err, evaluations.ErrParty) {
			t.Fatalf("the evaluator disputed: %v", err)
		}
		if _, err := f.svc.Dispute(ctx, megan, e.ID, "I did verify the caller"); err != nil {
			t.Fatal(err)
		}
		disputed, err := f.svc.List(ctx, sam, evaluations.ListFilter{Status: store.EvalDisputed})
		if err != nil || len(disputed) != 1 || disputed[0].AgentComment != "I did verify the caller" {
			t.Fatalf("evaluator's disputed list %+v %v", disputed, err)
		}
		if _, err := f.svc.Acknowledge(ctx, megan, e.ID, ""); !errors.Is(err, evaluations.ErrState) {
			t.Fatalf("acknowledged while disputed: %v", err)
		}
		rev, err := f.svc.Revise(ctx, sam, e.ID, evaluations.Input{Answers: answers(1, 5, 1), Reply: "fair, tone revised"})
		if err != nil {
			t.Fatal(err)
		}
		if rev.Revision != 2 || rev.Score != 100 || rev.Status != store.EvalSubmitted || len(rev.Revisions) != 2 || rev.Revisions[0].Score != 62.5 {
			t.Fatalf("revised %+v", rev)
		}
		if _, err := f.svc.Acknowledge(ctx, megan, e.ID, "thanks"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Uphold(ctx, sam, e.ID, "kept"); !errors.Is(err, evaluations.ErrState) {
			t.Fatalf("upheld an acknowledged evaluation: %v", err)
		}
		entries, _, err := f.db.Q().ListAudit(ctx, sam.TenantID, store.AuditFilter{Action: "evaluation.", Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, a := range entries {
			actions = append(actions, a.Action)
		}
		for _, want := range []string{"evaluation.submit", "evaluation.dispute", "evaluation.revise", "evaluation.acknowledge"} {
			if !strings.Contains(strings.Join(actions, " "), want) {
				t.Errorf("audit lacks %s: %v", want, actions)
			}
		}
	})
}

func isValidation(err error, field string) bool {
	var v validate.Errors
	return errors.As(err, &v) && v[field] != ""
}

// TestWhoMayEvaluate: only calls in the evaluator's scope, of licensed
// users, never one's own; critical failure scores 0; uphold keeps it.
func TestWhoMayEvaluate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b)
		form := f.form("Admin A")
		sam := f.who["Sam A"]
		var ne *evaluations.NotEvaluableError
		if _, err := f.svc.Evaluable(ctx, sam, f.calls["Alex A"]); !errors.As(err, &ne) || !strings.Contains(ne.Reason, "Agent evaluation license") {
			t.Errorf("unlicensed member: %v", err)
		}
		if _, err := f.svc.Evaluable(ctx, sam, f.calls["Sam A"]); !errors.As(err, &ne) {
			t.Errorf("own call: %v", err)
		}
		if _, err := f.svc.Evaluable(ctx, sam, f.calls["Nestor A"]); !errors.Is(err, evaluations.ErrNotFound) {
			t.Errorf("outside the managed groups: %v", err)
		}
		if _, err := f.svc.Evaluable(ctx, sam, f.calls["Megan B"]); !errors.Is(err, evaluations.ErrNotFound) {
			t.Errorf("another tenant's call: %v", err)
		}
		if _, err := f.svc.Submit(ctx, f.who["Megan A"], f.calls["Nestor A"], evaluations.Input{FormID: form.ID}); !errors.Is(err, evaluations.ErrForbidden) {
			t.Errorf("a self-view user evaluated: %v", err)
		}
		if _, err := f.svc.Evaluable(ctx, f.who["Admin A"], f.calls["Nestor A"]); err != nil {
			t.Errorf("an admin sees the whole tenant: %v", err)
		}
		if _, err := f.svc.Submit(ctx, sam, f.calls["Megan A"], evaluations.Input{FormID: form.ID, Answers: answers(1, 9, 1)}); !isValidation(err, "answers[1].value") {
			t.Errorf("out of range: %v", err)
		}
		e, err := f.svc.Submit(ctx, sam, f.calls["Megan A"], evaluations.Input{FormID: form.ID, Answers: answers(1, 5, 0)})
		if err != nil || e.Score != 0 || !e.CriticalFailed {
			t.Fatalf("critical failure: %+v %v", e, err)
		}
		if _, err := f.svc.Get(ctx, f.who["Nestor A"], e.ID); !errors.Is(err, evaluations.ErrNotFound) {
			t.Errorf("another agent read it: %v", err)
		}
		if _, err := f.svc.Dispute(ctx, f.who["Megan A"], e.ID, "I verified"); err != nil {
			t.Fatal(err)
		}
		up, err := f.svc.Uphold(ctx, sam, e.ID, "the recording shows no verification")
		if err != nil || up.Status != store.EvalUpheld || up.Score != 0 || up.Reply == "" {
			t.Fatalf("uphold %+v %v", up, err)
		}
	})
}

// TestFormVersions: an edit of a used form makes a new version and the
// evaluation keeps its own; an unused form is edited in place.
func TestFormVersions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b)
		admin := f.who["Admin A"]
		form := f.form("Admin A")
		d := form.Definition
		d.Sections[0].Questions[1].Text = "Friendly tone"
		edited, err := f.svc.UpdateForm(ctx, admin, form.ID, evaluations.FormInput{Definition: &d})
		if err != nil || edited.Version != 1 {
			t.Fatalf("unused form: version %d, %v", edited.Version, err)
		}
		e, err := f.svc.Submit(ctx, f.who["Sam A"], f.calls["Megan A"], evaluations.Input{FormID: form.ID, Answers: answers(1, 4, 1)})
		if err != nil {
			t.Fatal(err)
		}
		d.Sections[0].Questions = append(d.Sections[0].Questions, evaluations.Question{Text: "Closed politely", Kind: evaluations.YesNo, Weight: 1})
		v2, err := f.svc.UpdateForm(ctx, admin, form.ID, evaluations.FormInput{Definition: &d})
		if err != nil || v2.Version != 2 || v2.Definition.Sections[0].Questions[3].ID != "q4" {
			t.Fatalf("used form: %+v %v", v2, err)
		}
		got, err := f.svc.Get(ctx, f.who["Megan A"], e.ID)
		if err != nil || got.FormVersion != 1 || len(got.Form.Questions()) != 3 {
			t.Fatalf("the evaluation lost its version: %+v %v", got, err)
		}
		renamed, err := f.svc.UpdateForm(ctx, admin, form.ID, evaluations.FormInput{Name: ptr("Basics 2")})
		if err != nil || renamed.Version != 2 {
			t.Fatalf("a rename made a version: %+v %v", renamed, err)
		}
		if _, err := f.svc.UpdateForm(ctx, admin, form.ID, evaluations.FormInput{Definition: &evaluations.Definition{}}); !isValidation(err, "sections") {
			t.Errorf("emptied form: %v", err)
		}
		if _, err := f.svc.UpdateForm(ctx, f.who["Sam A"], form.ID, evaluations.FormInput{Name: ptr("x")}); !errors.Is(err, evaluations.ErrForbidden) {
			t.Errorf("a supervisor edited a form: %v", err)
		}
		if _, err := f.svc.UpdateForm(ctx, f.who["Admin B"], form.ID, evaluations.FormInput{Name: ptr("x")}); !errors.Is(err, evaluations.ErrNotFound) {
			t.Errorf("tenant B edited A's form: %v", err)
		}
		if _, err := f.svc.Form(ctx, f.who["Admin B"], form.ID); !errors.Is(err, evaluations.ErrNotFound) {
			t.Errorf("tenant B read A's form: %v", err)
		}
		if _, err := f.svc.Submit(ctx, f.who["Sam B"], f.calls["Megan B"], evaluations.Input{FormID: form.ID, Answers: answers(1, 4, 1)}); !isValidation(err, "form_id") {
			t.Errorf("tenant B used A's form: %v", err)
		}
	})
}

// TestAcrossTenants: nothing of tenant A's evaluations reaches B.
func TestAcrossTenants(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b)
		form := f.form("Admin A")
		e, err := f.svc.Submit(ctx, f.who["Sam A"], f.calls["Megan A"], evaluations.Input{FormID: form.ID, Answers: answers(1, 4, 1)})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"Admin B", "Sam B", "Megan B"} {
			p := f.who[name]
			if _, err := f.svc.Get(ctx, p, e.ID); !errors.Is(err, evaluations.ErrNotFound) {
				t.Errorf("%s read A's evaluation: %v", name, err)
			}
			if list, err := f.svc.List(ctx, p, evaluations.ListFilter{}); err != nil || len(list) != 0 {
				t.Errorf("%s lists %d of A's evaluations (%v)", name, len(list), err)
			}
			if forms, err := f.svc.Forms(ctx, p, true); err == nil && len(forms) != 0 {
				t.Errorf("%s lists A's forms", name)
			}
		}
		if _, err := f.svc.Acknowledge(ctx, f.who["Megan B"], e.ID, ""); !errors.Is(err, evaluations.ErrNotFound) {
			t.Errorf("B acknowledged A's evaluation: %v", err)
		}
		if _, err := f.svc.Uphold(ctx, f.who["Admin B"], e.ID, "x"); !errors.Is(err, evaluations.ErrNotFound) {
			t.Errorf("B upheld A's evaluation: %v", err)
		}
		rep, err := f.svc.Report(ctx, f.who["Admin B"], evaluations.ReportFilter{From: f.clock.Now().Add(-time.Hour), To: f.clock.Now().Add(time.Hour)})
		if err != nil || rep.Total.Count != 0 {
			t.Errorf("B's report counts A's evaluations: %+v %v", rep.Total, err)
		}
	})
}

// TestReport: per agent, group, form, week and per question, in scope.
func TestReport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b)
		form := f.form("Admin A")
		admin, sam := f.who["Admin A"], f.who["Sam A"]
		for _, a := range [][]evaluations.Answer{answers(1, 5, 1), answers(0, 3, 1)} {
			if _, err := f.svc.Submit(ctx, sam, f.calls["Megan A"], evaluations.Input{FormID: form.ID, Answers: a}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.svc.Submit(ctx, admin, f.calls["Nestor A"], evaluations.Input{FormID: form.ID,
			Answers: []evaluations.Answer{{QuestionID: "q1", Value: ptr(1)}, {QuestionID: "q2", NA: true}, {QuestionID: "q3", Value: ptr(1)}}}); err != nil {
			t.Fatal(err)
		}
		now := f.clock.Now()
		period := evaluations.ReportFilter{From: now.AddDate(0, 0, -7), To: now.Add(time.Hour)}
		all, err := f.svc.Report(ctx, admin, period)
		if err != nil {
			t.Fatal(err)
		}
		// Megan: 100 and (0 + 3*0.5)/4 = 37.5; Nestor: 100 (tone N/A).
		if all.Total.Count != 3 || all.Total.Average != 79.2 || len(all.Agents) != 2 || len(all.Weeks) != 1 || len(all.Forms) != 1 {
			t.Fatalf("admin's report %+v", all)
		}
		if all.Agents[0].Name != "Megan A" || all.Agents[0].Average != 68.8 {
			t.Errorf("per agent %+v", *all.Agents[0])
		}
		tone := all.Questions[1]
		if tone.QuestionID != "q2" || tone.NA != 1 || len(tone.Values) != 5 || tone.Values[2].Count != 1 || tone.Values[4].Count != 1 {
			t.Errorf("tone distribution %+v", tone)
		}
		scoped, err := f.svc.Report(ctx, sam, period)
		if err != nil || scoped.Total.Count != 2 || len(scoped.Agents) != 1 {
			t.Errorf("the supervisor's report reaches outside the managed groups: %+v %v", scoped.Total, err)
		}
		sales := false
		for _, g := range scoped.Groups {
			sales = sales || g.Name == "Sales A" && g.Count == 2 && g.Average == 68.8
		}
		if !sales {
			t.Errorf("no Sales A row of 2 evaluations in %+v", scoped.Groups)
		}
		if _, err := f.svc.Report(ctx, f.who["Megan A"], period); !errors.Is(err, evaluations.ErrForbidden) {
			t.Errorf("a self-view user ran the report: %v", err)
		}
		var csv strings.Builder
		if err := evaluations.WriteCSV(&csv, all); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(csv.String(), "agent,Megan A,2,68.8") || !strings.Contains(csv.String(), "Tone") {
			t.Errorf("csv:\n%s", csv.String())
		}
	})
}

// fakeTranscripts answers every call with one transcript.
type fakeTranscripts struct{ t evaluations.Transcript }

func (f fakeTranscripts) Transcript(context.Context, string, string) (evaluations.Transcript, bool, error) {
	return f.t, true, nil
}

// TestAutomaticAnswers: with a transcript and the Speech Analytics
// license, a rule question left out is answered from the agent's words
// and marked automatic.
func TestAutomaticAnswers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b)
		form := f.form("Admin A")
		in := evaluations.Input{FormID: form.ID, Answers: answers(1, 5, 1)[1:]}
		if _, err := f.svc.Submit(ctx, f.who["Sam A"], f.calls["Megan A"], in); !isValidation(err, "answers.q1") {
			t.Fatalf("no transcript, rule question left out: %v", err)
		}
		f.svc.Transcripts = fakeTranscripts{evaluations.Transcript{Utterances: []evaluations.Utterance{
			{Channel: evaluations.ChannelAgent, StartMS: 1200, EndMS: 3000, Text: "Thank you for calling, this is Megan"}}}}
		// Megan lacks speech_analytics: still manual.
		if _, err := f.svc.Submit(ctx, f.who["Sam A"], f.calls["Megan A"], in); !isValidation(err, "answers.q1") {
			t.Fatalf("automatic answer without the Speech Analytics license: %v", err)
		}
		if _, err := f.svc.Accounts.UpdateUser(ctx, account.System, f.who["Megan A"].TenantID, f.who["Megan A"].User.ID,
			account.UserInput{Licenses: &[]string{"call_recording", "agent_evaluation", "speech_analytics"}}); err != nil {
			t.Fatal(err)
		}
		e, err := f.svc.Submit(ctx, f.who["Sam A"], f.calls["Megan A"], in)
		if err != nil {
			t.Fatal(err)
		}
		a := e.Answers[0]
		if a.QuestionID != "q1" || !a.Automatic || *a.Value != 1 || a.AtMS == nil || *a.AtMS != 1200 || e.Score != 100 {
			t.Fatalf("automatic answer %+v, score %v", a, e.Score)
		}
	})
}
