package integration_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"callrec/internal/integration"
	"callrec/internal/msemu"
	"callrec/internal/store/storetest"
)

func (w *world) fault(kind string, count int, prefix string) {
	w.t.Helper()
	b, _ := json.Marshal(msemu.Fault{Kind: kind, Count: count, PathPrefix: prefix, RetryAfter: 7})
	res, err := http.Post(w.ms.URL+"/emu/faults", "application/json", bytes.NewReader(b))
	if err != nil || res.StatusCode != http.StatusCreated {
		w.t.Fatalf("fault: %v %v", res, err)
	}
	res.Body.Close()
}

func (w *world) clearFaults() {
	req, _ := http.NewRequest(http.MethodDelete, w.ms.URL+"/emu/faults", nil)
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
	}
}

func step(v integration.View, key string) (s struct {
	Status, Message string
	Attempts        int
}) {
	for _, st := range v.Steps {
		if st.Step == key {
			s.Status, s.Message, s.Attempts = st.Status, st.Message, st.Attempts
		}
	}
	return s
}

// A replication race on policy creation and a 429 are absorbed by retries
// (the 429's Retry-After is honoured).
func TestRaceAndThrottleRecoverAutomatically(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		w.fault(msemu.FaultPolicyRace, 2, "")
		w.fault(msemu.FaultThrottle, 1, "/teams/Skype.Policy/groupPolicyAssignments")
		v := w.connect(integration.DefaultConfig())
		if v.Status != integration.StatusConnected {
			t.Fatalf("status %s: %s", v.Status, stepStatuses(v))
		}
		if st := step(v, "policy"); st.Attempts < 3 {
			t.Fatalf("policy step took %d attempts, want ≥ 3 after two races", st.Attempts)
		}
		if st := step(v, "assign"); st.Attempts < 2 {
			t.Fatalf("assign step took %d attempts, want ≥ 2 after a 429", st.Attempts)
		}
		if w.slept < 7*time.Second {
			t.Fatalf("slept %s in all, want at least the 7 s Retry-After", w.slept)
		}
	})
}

// When the retries run out the step fails with the guide's advice; Retry
// resumes where it stopped — even hours later, when the access tokens have
// expired and must be refreshed.
func TestRetriesExhaustedThenRetrySucceeds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		w.svc = w.newService("worker-1", 3)
		w.fault(msemu.FaultPolicyRace, 10, "")
		v := w.connect(integration.DefaultConfig())
		if v.Status != integration.StatusFailed || v.JobState != "failed" {
			t.Fatalf("status %s job %s", v.Status, v.JobState)
		}
		st := step(v, "policy")
		if st.Status != "failed" || !strings.Contains(st.Message, "Wait at least 30 seconds and press Retry") {
			t.Fatalf("policy step %+v", st)
		}
		if s := step(v, "instance"); s.Status != "ok" {
			t.Fatalf("instance step %+v", s)
		}
		w.clearFaults()
		w.clock.Advance(3 * time.Hour) // access tokens (1 h) have expired
		w.admin.json("POST", "/api/v1/integrations/teams/retry", nil, http.StatusAccepted, nil)
		w.runJobs(w.newService("worker-2", 6))
		v = w.admin.integration()
		if v.Status != integration.StatusConnected {
			t.Fatalf("after Retry: %s %s: %s", v.Status, stepStatuses(v), step(v, "policy").Message)
		}
		if s := step(v, "instance"); s.Attempts != 1 {
			t.Fatalf("Retry repeated the finished instance step (%d attempts)", s.Attempts)
		}
		if n := w.countEvents(`"grant_type":"refresh_token"`); n == 0 {
			t.Fatal("no refresh-token grant was used after the tokens expired")
		}
	})
}

// countEvents counts emulator events whose data mentions s.
func (w *world) countEvents(s string) int {
	res, err := http.Get(w.ms.URL + "/emu/events")
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Events []map[string]any `json:"events"`
	}
	_ = json.NewDecoder(res.Body).Decode(&body)
	n := 0
	for _, e := range body.Events {
		b, _ := json.Marshal(e)
		if strings.Contains(string(b), s) {
			n++
		}
	}
	return n
}

// A worker that dies mid-apply leaves a lease; once it expires another
// worker resumes, finding (not re-creating) what was already made.
func TestJobResumesAfterRestart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		s := w.admin
		s.json("POST", "/api/v1/integrations/teams", map[string]string{"mode": "automation"}, http.StatusCreated, nil)
		s.Microsoft(redirectURL(t, s, "/api/v1/integrations/teams/signin"), adele, adelePW, "accept")
		s.Microsoft(redirectURL(t, s, "/api/v1/integrations/teams/consent"), adele, adelePW, "accept")
		s.json("PUT", "/api/v1/integrations/teams/config", integration.DefaultConfig(), http.StatusOK, nil)
		s.json("POST", "/api/v1/integrations/teams/apply", nil, http.StatusAccepted, nil)

		// The first worker "crashes" the first time it has to wait
		// (the new instance is replicating).
		ctx, die := context.WithCancel(context.Background())
		crashed := integration.New(w.db, w.accounts, integration.Options{Endpoints: w.ep, Box: w.box, Now: w.clock.Now, Owner: "dies",
			Sleep: func(context.Context, time.Duration) error { die(); return ctx.Err() }})
		if ran, _ := crashed.RunOnce(ctx); !ran {
			t.Fatal("no job to run")
		}
		v := s.integration()
		if v.JobState != "running" || step(v, "instance").Status != "ok" {
			t.Fatalf("after the crash: job %s, %s", v.JobState, stepStatuses(v))
		}
		other := w.newService("worker-2", 6)
		if ran, _ := other.RunOnce(context.Background()); ran {
			t.Fatal("a live lease was taken over")
		}
		w.clock.Advance(3 * time.Minute)
		w.runJobs(other)
		v = s.integration()
		if v.Status != integration.StatusConnected {
			t.Fatalf("after resuming: %s %s", v.Status, stepStatuses(v))
		}
		if n := w.countEvents(`"method":"POST","path":"/teams/Teams.PlatformService/v2/ApplicationInstances"`); n != 1 {
			t.Fatalf("%d application instances were created, want 1", n)
		}
	})
}

func TestConsentOutcomes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		s := w.admin
		s.json("POST", "/api/v1/integrations/teams", map[string]string{"mode": "automation"}, http.StatusCreated, nil)

		// Cancelling the sign-in changes nothing and says so.
		s.Microsoft(redirectURL(t, s, "/api/v1/integrations/teams/signin"), adele, adelePW, "cancel")
		if v := s.integration(); v.Status != integration.StatusDraft || !strings.Contains(v.Resources.Notice, "cancelled") {
			t.Fatalf("cancelled sign-in: %s %q", v.Status, v.Resources.Notice)
		}
		s.Microsoft(redirectURL(t, s, "/api/v1/integrations/teams/signin"), adele, adelePW, "accept")
		if v := s.integration(); v.Status != integration.StatusAuthorized || v.Resources.Notice != "Successfully received permissions for organization domain "+domain {
			t.Fatalf("sign-in: %s %q", v.Status, v.Resources.Notice)
		}

		// Cancelling the admin consent.
		s.Microsoft(redirectURL(t, s, "/api/v1/integrations/teams/consent"), adele, adelePW, "cancel")
		if v := s.integration(); v.Status != integration.StatusAuthorized || !strings.Contains(v.Resources.Notice, "cancelled") {
			t.Fatalf("cancelled consent: %s %q", v.Status, v.Resources.Notice)
		}

		// Consent "for" another tenant, and a forged admin_consent=True
		// without any consent at Microsoft, are both refused.
		for _, tc := range []struct{ tenant, want string }{
			{msemu.FabrikamTenantID, "another Microsoft tenant"},
			{contosoT, "no tenant-wide consent"},
		} {
			u, _ := url.Parse(redirectURL(t, s, "/api/v1/integrations/teams/consent"))
			q := url.Values{"admin_consent": {"True"}, "tenant": {tc.tenant}, "state": {u.Query().Get("state")}}
			s.Get(w.callrec.URL + "/integrations/teams/callback?" + q.Encode())
			if v := s.integration(); v.Status != integration.StatusAuthorized || v.AdminConsent || !strings.Contains(v.Resources.Notice, tc.want) {
				t.Fatalf("forged consent for %s: %s %v %q", tc.tenant, v.Status, v.AdminConsent, v.Resources.Notice)
			}
		}
		// consent_required arrives with admin_consent=True and is not success.
		u, _ := url.Parse(redirectURL(t, s, "/api/v1/integrations/teams/consent"))
		q := url.Values{"admin_consent": {"True"}, "error": {"consent_required"}, "error_description": {"AADSTS65004"}, "state": {u.Query().Get("state")}}
		s.Get(w.callrec.URL + "/integrations/teams/callback?" + q.Encode())
		if v := s.integration(); v.AdminConsent || !strings.Contains(v.Resources.Notice, "consent is still required") {
			t.Fatalf("consent_required: %v %q", v.AdminConsent, v.Resources.Notice)
		}
		// A replayed or foreign state is refused outright.
		res, _ := s.Get(w.callrec.URL + "/integrations/teams/callback?" + q.Encode())
		if res.StatusCode != http.StatusBadRequest {
			t.Fatalf("replayed state: %d", res.StatusCode)
		}
		// Step 3 cannot be skipped to.
		s.json("PUT", "/api/v1/integrations/teams/config", integration.DefaultConfig(), http.StatusConflict, nil)
	})
}

// A group with the configured UPN is found, not created again.
func TestExistingGroupIsReused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		cfg := integration.DefaultConfig()
		cfg.GroupName, cfg.GroupNickname = "Sales and Marketing", "SalesAndMarketing"
		v := w.connect(cfg)
		if v.Status != integration.StatusConnected {
			t.Fatalf("status %s %s", v.Status, stepStatuses(v))
		}
		want := `Found existing group with UPN "SalesAndMarketing@` + domain + `" and name "Sales and Marketing"`
		if st := step(v, "group"); st.Message != want {
			t.Fatalf("group step %q, want %q", st.Message, want)
		}
		if n := w.countEvents(`"method":"POST","path":"/v1.0/groups"`); n != 0 {
			t.Fatalf("%d groups created", n)
		}
	})
}
