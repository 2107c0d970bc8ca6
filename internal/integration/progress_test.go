package integration_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"callrec/internal/account"
	"callrec/internal/integration"
	"callrec/internal/msemu"
	"callrec/internal/roles"
	"callrec/internal/store/storetest"
)

const progressPath = "/admin/integrations/teams/progress"

// stream opens the wizard's progress stream and sends each view it carries;
// the channel closes when the stream ends.
func (s *session) stream(ctx context.Context) (<-chan integration.View, *http.Response) {
	s.w.t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.w.callrec.URL+progressPath, nil)
	req.Header.Set("Accept", "text/event-stream")
	res, err := s.C.Do(req)
	if err != nil {
		s.w.t.Fatal(err)
	}
	out := make(chan integration.View, 64)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		close(out)
		return out, res
	}
	go func() {
		defer close(out)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "progress":
				var v integration.View
				if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &v) == nil {
					out <- v
				}
			case line == "":
				event = ""
			}
		}
	}()
	return out, res
}

func next(t *testing.T, ch <-chan integration.View) (integration.View, bool) {
	t.Helper()
	select {
	case v, ok := <-ch:
		return v, ok
	case <-time.After(20 * time.Second):
		t.Fatal("no progress event within 20 s")
	}
	return integration.View{}, false
}

var waitingRE = regexp.MustCompile(`^Waiting for Microsoft to [^;]+; trying again at \d\d:\d\d:\d\d \S+ \(attempt 2 of 6\)$`)

// The progress stream pushes every change of a job that another process
// runs (no shared event bus: only the database), a retry's wait in plain
// words while the worker waits, and ends with the finished job.
func TestProgressStreamFollowsAJobRunElsewhere(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		w.queueApply(integration.DefaultConfig())
		w.fault(msemu.FaultPolicyRace, 1, "")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		views, res := w.admin.stream(ctx)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("progress stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		first, _ := next(t, views)
		if first.JobState != "queued" || first.Progress != 0 {
			t.Fatalf("first event: %s at %d%%, want queued at 0%%", first.JobState, first.Progress)
		}

		gate := make(chan struct{})
		other := integration.New(w.db, w.accounts, integration.Options{Endpoints: w.ep, Box: w.box, Now: w.clock.Now,
			Owner: "other-process", Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Sleep: func(ctx context.Context, d time.Duration) error {
				w.clock.Advance(d)
				select {
				case <-gate:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			}})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				if ran, _ := other.RunOnce(ctx); !ran {
					return
				}
			}
		}()

		var waiting string
		for waiting == "" {
			v, ok := next(t, views)
			if !ok {
				t.Fatal("stream ended before the retry was shown")
			}
			for _, st := range v.Steps {
				if st.Status == "running" && strings.HasPrefix(st.Message, "Waiting for") {
					waiting = st.Message
				}
			}
		}
		if !waitingRE.MatchString(waiting) {
			t.Fatalf("retry message %q does not say what it waits for and when it tries again", waiting)
		}
		close(gate) // the worker is still in its wait: the event came while it slept

		var last integration.View
		for {
			v, ok := next(t, views)
			if !ok {
				break
			}
			if v.Progress < last.Progress {
				t.Fatalf("progress went back from %d%% to %d%%", last.Progress, v.Progress)
			}
			last = v
		}
		<-done
		if last.JobState != "done" || last.Progress != 100 || last.Status != integration.StatusConnected {
			t.Fatalf("last event: %s %s at %d%%: %s", last.Status, last.JobState, last.Progress, stepStatuses(last))
		}
		for _, st := range last.Steps {
			if st.Status != "ok" {
				t.Fatalf("step %s is %s at the end", st.Step, st.Status)
			}
		}
		if last.Resources.Notice != "" {
			t.Fatalf("the sign-in's notice outlived the job: %q", last.Resources.Notice)
		}
	})
}

// The stream is the wizard's: only callers who manage integrations, and
// only their own tenant's.
func TestProgressStreamPermissionAndTenant(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		w.queueApply(integration.DefaultConfig())
		ctx := context.Background()
		pw := "Contoso#2026"
		mk := func(tenantID, login, role string) *session {
			r := role
			name := login
			if _, err := w.accounts.CreateUser(ctx, account.System, tenantID, account.UserInput{Name: &name, Login: &login, Password: &pw, Role: &r}); err != nil {
				t.Fatal(err)
			}
			return w.signIn(login, pw)
		}
		fabName := "Fabrikam"
		fab, err := w.accounts.CreateTenant(ctx, account.System, account.TenantInput{Name: &fabName})
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			who  *session
			want int
		}{
			{"supervisor of the same tenant", mk(w.tenantID, "sup@contoso.example", roles.Supervisor), http.StatusForbidden},
			{"admin of another tenant", mk(fab.ID, "admin@fabrikam.example", roles.Admin), http.StatusNotFound},
			{"admin of the tenant", w.admin, http.StatusOK},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				sctx, cancel := context.WithCancel(ctx)
				defer cancel()
				views, res := c.who.stream(sctx)
				if res.StatusCode != c.want {
					t.Fatalf("status %d, want %d", res.StatusCode, c.want)
				}
				if c.want != http.StatusOK {
					return
				}
				if v, _ := next(t, views); v.ID == "" || v.JobState != "queued" {
					t.Fatalf("first event %+v", v)
				}
			})
		}
	})
}

// Apply and Disconnect end on their own page: straight from the action
// (?job=1) the finished list shows at 100% with Close, even when the job
// was over before the page was asked for; the sign-in's banner is gone.
func TestFinishedJobsEndOnTheirPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		if v := w.connect(integration.DefaultConfig()); v.Status != integration.StatusConnected {
			t.Fatalf("connect: %s", v.Status)
		}
		page := func(path string) string {
			t.Helper()
			res, body := w.admin.Get(w.callrec.URL + path)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d", path, res.StatusCode)
			}
			return body
		}
		closeRE := regexp.MustCompile(`<div class="actions" data-finished\s*><a class="btn btn-primary" href="([^"]+)">Close</a>`)
		body := page("/admin/integrations/teams?job=1")
		if m := closeRE.FindStringSubmatch(body); m == nil || m[1] != "/admin/integrations/teams" {
			t.Fatalf("Apply's end has no visible Close to the details:\n%s", body)
		}
		for _, want := range []string{`aria-current="step" class="done">Step 4. Apply`, `value="100"`, "Finished."} {
			if !strings.Contains(body, want) {
				t.Fatalf("Apply's end lacks %q", want)
			}
		}
		if strings.Contains(page("/admin/integrations/teams"), "Step 4. Apply") {
			t.Fatal("the page without ?job=1 should be the details")
		}

		var out struct {
			URL string `json:"redirect_url"`
		}
		o := integration.DefaultDisconnect()
		o.ConfirmDomain = domain
		w.admin.json("POST", "/api/v1/integrations/teams/disconnect", o, http.StatusOK, &out)
		res := w.admin.Microsoft(out.URL, adele, adelePW, "accept")
		target := res.Header.Get("Location")
		if !strings.Contains(target, "job=1") {
			t.Fatalf("the disconnect's sign-in returns to %q, not to the removal's progress", target)
		}
		running := page(target)
		for _, want := range []string{"Step 2. Finish", "Removing the Teams resources now.", progressPath} {
			if !strings.Contains(running, want) {
				t.Fatalf("the removal's page lacks %q", want)
			}
		}
		w.runJobs(w.svc)
		body = page(target)
		if m := closeRE.FindStringSubmatch(body); m == nil || m[1] != "/admin/integrations" {
			t.Fatalf("the removal's end has no visible Close to the list:\n%s", body)
		}
		if strings.Contains(body, "Removing the Teams resources now.") || !strings.Contains(body, "Step 2. Finish") {
			t.Fatal("the removal's end shows the stale banner or not its Step 2")
		}
		if body := page("/admin/integrations/teams?returned=1"); strings.Contains(body, "Removing the Teams resources now.") || !strings.Contains(body, "was disconnected") {
			t.Fatal("the wizard's start after the removal shows the stale banner")
		}
	})
}
