package integration_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"callrec/internal/integration"
	"callrec/internal/store/storetest"
	"callrec/internal/teams"
)

// refuse makes the emulator answer status to one method and path, as
// Microsoft answers a path that does not exist; *n counts the requests.
func (w *world) refuse(method, path string, status int) *int {
	n := new(int)
	next := w.ms.Config.Handler
	w.ms.Config.Handler = http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == method && r.URL.Path == path {
			*n++
			rw.Header().Set("Content-Type", "application/json")
			rw.WriteHeader(status)
			_, _ = rw.Write([]byte(`{"error":{"code":"NotFound","message":"Resource not found."}}`))
			return
		}
		next.ServeHTTP(rw, r)
	})
	return n
}

// A 404 from a path no public source shows fails the step at once, names
// the operation and sends the admin to PowerShell — no six retries and no
// "replication race".
func TestUnverifiedPathFailsAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		n := w.refuse("POST", "/teams/Skype.Policy/configurations/TeamsComplianceRecordingApplication", http.StatusNotFound)
		v := w.connect(integration.DefaultConfig())
		st := step(v, "policy")
		if v.Status != integration.StatusFailed || st.Status != "failed" || *n != 1 {
			t.Fatalf("status %s, policy step %+v, %d request(s) to the refused path", v.Status, st, *n)
		}
		for _, want := range []string{"did not accept New-CsTeamsComplianceRecordingApplication", "use the PowerShell path", "404 Not Found"} {
			if !strings.Contains(st.Message, want) {
				t.Errorf("message %q lacks %q", st.Message, want)
			}
		}
		for _, bad := range []string{"503", "race", "Retry"} {
			if strings.Contains(st.Message, bad) {
				t.Errorf("message %q says %q", st.Message, bad)
			}
		}
	})
}

// On a brand-new tenant every object is made by callrec: each step says
// created, even when it had to wait for Microsoft's replication and ran
// again after its own create.
func TestNewTenantStepsSayCreated(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		v := w.connect(integration.DefaultConfig())
		if v.Status != integration.StatusConnected {
			t.Fatalf("status %s %s", v.Status, stepStatuses(v))
		}
		if st := step(v, "policy"); st.Attempts < 2 {
			t.Fatalf("policy step ran %d time(s): the test needs the replication wait", st.Attempts)
		}
		for key, want := range map[string]string{
			"instance": "Successfully created an application instance",
			"policy":   "Successfully created a recording policy",
			"group":    "Successfully created group",
			"assign":   "Successfully assigned a recording policy to the group at rank 1",
		} {
			if st := step(v, key); !strings.HasPrefix(st.Message, want) {
				t.Errorf("%s: %q, want %q", key, st.Message, want)
			}
		}
		if v.Resources.AssignmentRank != 1 {
			t.Errorf("rank %d, want 1", v.Resources.AssignmentRank)
		}
	})
}

// Another vendor's compliance recording assignments keep their group and
// their rank; callrec takes the next free rank and says which.
func TestOtherVendorsAssignmentsKeepTheirRanks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		ctx := context.Background()
		graph, admin := w.delegated()
		if _, err := admin.CreatePolicy(ctx, teams.Policy{Identity: "VendorX", Enabled: true}); err != nil {
			t.Fatal(err)
		}
		g, err := graph.CreateGroup(ctx, "Traders", "traders", "")
		if err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(2 * replication)
		if err := admin.AssignToGroup(ctx, g.ID, "VendorX", 1); err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(2 * replication)

		v := w.connect(integration.DefaultConfig())
		if v.Status != integration.StatusConnected {
			t.Fatalf("status %s %s", v.Status, stepStatuses(v))
		}
		if v.Resources.AssignmentRank != 2 || !strings.Contains(step(v, "assign").Message, "rank 2") {
			t.Fatalf("rank %d, message %q", v.Resources.AssignmentRank, step(v, "assign").Message)
		}
		w.clock.Advance(2 * replication)
		theirs, err := admin.GetGroupAssignment(ctx, g.ID)
		if err != nil || theirs.Rank != 1 || theirs.PolicyName != "VendorX" {
			t.Fatalf("the other vendor's assignment: %+v %v", theirs, err)
		}
	})
}

// A group that already carries another policy is not taken over.
func TestGroupOfAnotherPolicyIsNotDisplaced(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		ctx := context.Background()
		graph, admin := w.delegated()
		if _, err := admin.CreatePolicy(ctx, teams.Policy{Identity: "VendorX", Enabled: true}); err != nil {
			t.Fatal(err)
		}
		cfg := integration.DefaultConfig()
		g, err := graph.CreateGroup(ctx, cfg.GroupName, cfg.GroupNickname, "")
		if err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(2 * replication)
		if err := admin.AssignToGroup(ctx, g.ID, "VendorX", 1); err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(2 * replication)
		v := w.connect(cfg)
		st := step(v, "assign")
		if v.Status != integration.StatusFailed || st.Attempts != 1 || !strings.Contains(st.Message, "does not displace") {
			t.Fatalf("status %s, assign %+v", v.Status, st)
		}
		if a, err := admin.GetGroupAssignment(ctx, g.ID); err != nil || a.PolicyName != "VendorX" {
			t.Fatalf("the group's assignment: %+v %v", a, err)
		}
	})
}

// Microsoft rolls its signing keys: a sign-in with a token signed by a new
// key fetches the key set again instead of failing until a restart.
func TestSignInAfterKeyRollover(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		s := w.admin
		s.json("POST", "/api/v1/integrations/teams", map[string]string{"mode": "automation"}, http.StatusCreated, nil)
		s.Microsoft(redirectURL(t, s, "/api/v1/integrations/teams/signin"), adele, adelePW, "accept")
		if v := s.integration(); v.Status != integration.StatusAuthorized {
			t.Fatalf("first sign-in: %s (%s)", v.Status, v.Resources.Notice)
		}
		if _, err := w.emu.RollSigningKey(); err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(2 * time.Minute)
		s.Microsoft(redirectURL(t, s, "/api/v1/integrations/teams/signin"), adele, adelePW, "accept")
		if v := s.integration(); v.Status != integration.StatusAuthorized || !v.Resources.NoticeOK {
			t.Fatalf("sign-in after the rollover: %s (%s)", v.Status, v.Resources.Notice)
		}
	})
}
