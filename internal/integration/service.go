// Package integration connects a tenant's Microsoft Teams to callrec and
// disconnects it: the four-step wizard (sign in, admin consent, configure,
// apply), the durable provisioning and removal jobs, the PowerShell path
// and its verification. The portal and the REST API both drive it.
package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"callrec/internal/account"
	"callrec/internal/brand"
	"callrec/internal/clock"
	"callrec/internal/events"
	"callrec/internal/recovery"
	"callrec/internal/secretbox"
	"callrec/internal/store"
	"callrec/internal/teams"
)

// KindTeams is the integration kind of Microsoft Teams.
const KindTeams = "teams"

// Statuses of a Teams integration.
const (
	StatusDraft         = "draft"         // created, nobody signed in yet
	StatusAuthorized    = "authorized"    // Step 1 done
	StatusConsented     = "consented"     // Step 2 done
	StatusConfigured    = "configured"    // Step 3 done
	StatusApplying      = "applying"      // Step 4 running
	StatusFailed        = "failed"        // Step 4 stopped on an error; Retry resumes
	StatusConnected     = "connected"     // recording is set up in Teams
	StatusDisconnecting = "disconnecting" // removal running
	StatusDisconnectErr = "disconnect_failed"
	StatusDisconnected  = "disconnected"
)

// Modes of provisioning.
const (
	ModeAutomation = "automation"
	ModePowerShell = "powershell"
)

// Errors the edges map to answers.
var (
	ErrExists     = errors.New("integration: this tenant already has a Microsoft Teams integration")
	ErrNotFound   = errors.New("integration: no Microsoft Teams integration")
	ErrWrongState = errors.New("integration: not possible in the integration's current state")
	ErrBadState   = errors.New("integration: the sign-in answer does not belong to this wizard (state mismatch); start the step again")
)

// Resources are the Microsoft objects callrec made or found.
type Resources struct {
	InstanceObjectID  string `json:"instance_object_id,omitempty"`
	InstanceUPN       string `json:"instance_upn,omitempty"`
	GroupID           string `json:"group_id,omitempty"`
	GroupMail         string `json:"group_mail,omitempty"`
	InstanceCreated   bool   `json:"instance_created,omitempty"`
	PolicyCreated     bool   `json:"policy_created,omitempty"`
	GroupCreated      bool   `json:"group_created,omitempty"`
	AssignmentCreated bool   `json:"assignment_created,omitempty"`
	// AssignmentRank is the rank callrec's group assignment holds among the
	// tenant's compliance recording group assignments (1 is the highest).
	AssignmentRank     int      `json:"assignment_rank,omitempty"`
	ServicePrincipalID string   `json:"service_principal_id,omitempty"`
	ManualSteps        []string `json:"manual_steps,omitempty"`
	// Notice is the outcome of the last return from Microsoft, shown once
	// on the wizard page (kept here, not in the redirect URL, so nobody can
	// put words on the page with a crafted link).
	Notice   string `json:"notice,omitempty"`
	NoticeOK bool   `json:"notice_ok,omitempty"`
}

// View is an integration as the portal and API show it.
type View struct {
	ID            string                  `json:"id"`
	Kind          string                  `json:"kind"`
	Mode          string                  `json:"mode"`
	Status        string                  `json:"status"`
	WizardStep    int                     `json:"wizard_step"`
	AuthorizedBy  string                  `json:"authorized_by"`
	OrgDomain     string                  `json:"organization_domain"`
	OrgID         string                  `json:"organization_id"`
	AdminConsent  bool                    `json:"admin_consent"`
	Config        Config                  `json:"config"`
	ApplicationID string                  `json:"application_id"`
	Resources     Resources               `json:"resources"`
	JobKind       string                  `json:"job_kind"`
	JobState      string                  `json:"job_state"`
	Progress      int                     `json:"progress"`
	Steps         []store.IntegrationStep `json:"steps"`
	Disconnect    *DisconnectOptions      `json:"disconnect,omitempty"`
	UpdatedAt     time.Time               `json:"updated_at"`
}

// Options configures a Service.
type Options struct {
	Endpoints teams.Endpoints
	HTTP      *http.Client
	Box       *secretbox.Box
	Bus       events.Bus
	Log       *slog.Logger
	Now       func() time.Time
	// Sleep waits between retries; tests replace it to move fake clocks.
	Sleep func(ctx context.Context, d time.Duration) error
	// Owner names this process in job leases.
	Owner string
	// Attempts is how often a step is tried before it fails (default 6).
	Attempts int
	// WatchEvery is how often Watch reads a job that another process may
	// be running (default WatchEvery).
	WatchEvery time.Duration
	// Guard recovers a job that panics, so the runner goes on with the
	// next (nil: recovered and logged only).
	Guard *recovery.Guard
	// Brand names what callrec makes in Microsoft Teams (Step 3's
	// defaults) and what the scripts and messages call the product (nil:
	// the built-in brand).
	Brand *brand.Service
}

// Service runs Teams integrations.
type Service struct {
	db       *store.DB
	accounts *account.Service
	ep       teams.Endpoints
	hc       *http.Client
	oauth    *teams.OAuth
	box      *secretbox.Box
	bus      events.Bus
	log      *slog.Logger
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error
	owner    string
	attempts int
	guard    *recovery.Guard
	brand    *brand.Service
	// watchEvery: see Options.WatchEvery.
	watchEvery time.Duration
}

// New returns a Service.
func New(db *store.DB, accounts *account.Service, o Options) *Service {
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = clock.Sleep
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Bus == nil {
		o.Bus = events.NewLocal()
	}
	if o.Attempts <= 0 {
		o.Attempts = 6
	}
	if o.WatchEvery <= 0 {
		o.WatchEvery = WatchEvery
	}
	if o.Owner == "" {
		o.Owner = account.NewID()
	}
	return &Service{db: db, accounts: accounts, ep: o.Endpoints, hc: o.HTTP, oauth: teams.NewOAuth(o.Endpoints, o.HTTP, o.Now),
		box: o.Box, bus: o.Bus, log: o.Log, now: o.Now, sleep: o.Sleep, owner: o.Owner, attempts: o.Attempts, brand: o.Brand,
		guard: o.Guard, watchEvery: o.WatchEvery}
}

func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// load returns the tenant's Teams integration.
func (s *Service) load(ctx context.Context, q store.Q, tenantID string) (store.Integration, error) {
	i, err := q.GetIntegration(ctx, tenantID, KindTeams)
	if errors.Is(err, store.ErrNotFound) {
		return i, ErrNotFound
	}
	return i, err
}

// save writes the integration back and tells watchers.
func (s *Service) save(ctx context.Context, q store.Q, i *store.Integration) error {
	i.UpdatedAt = s.stamp()
	return q.UpdateIntegration(ctx, *i)
}

func (s *Service) audit(ctx context.Context, q store.Q, a account.Actor, i store.Integration, action string, detail any) error {
	return s.accounts.Audit(ctx, q, a, i.TenantID, "integration."+action, "integration", i.ID, detail)
}

// Get returns the tenant's Teams integration with its job progress.
func (s *Service) Get(ctx context.Context, tenantID string) (View, error) {
	i, err := s.load(ctx, s.db.Q(), tenantID)
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, s.db.Q(), i)
}

// List returns the tenant's integrations (at most the one Teams integration).
func (s *Service) List(ctx context.Context, tenantID string) ([]View, error) {
	out := []View{}
	v, err := s.Get(ctx, tenantID)
	if errors.Is(err, ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	return append(out, v), nil
}

func (s *Service) view(ctx context.Context, q store.Q, i store.Integration) (View, error) {
	v := View{ID: i.ID, Kind: i.Kind, Mode: i.Mode, Status: i.Status, AuthorizedBy: i.AuthorizedBy, OrgDomain: i.OrgDomain,
		OrgID: i.OrgID, AdminConsent: i.AdminConsent, ApplicationID: s.ep.ClientID, JobKind: i.JobKind, JobState: i.JobState,
		UpdatedAt: i.UpdatedAt}
	if err := json.Unmarshal([]byte(i.Config), &v.Config); err != nil {
		return v, fmt.Errorf("integration: config: %w", err)
	}
	if err := json.Unmarshal([]byte(i.Resources), &v.Resources); err != nil {
		return v, fmt.Errorf("integration: resources: %w", err)
	}
	if i.JobKind == jobDisconnect {
		var o DisconnectOptions
		if err := json.Unmarshal([]byte(i.JobOptions), &o); err == nil {
			v.Disconnect = &o
		}
	}
	v.WizardStep = wizardStep(i.Status)
	steps, err := q.IntegrationSteps(ctx, i.TenantID, i.ID, i.JobKind)
	if err != nil {
		return v, err
	}
	v.Steps = steps
	v.Progress = progress(steps)
	return v, nil
}

// wizardStep is the wizard tab a status belongs to.
func wizardStep(status string) int {
	switch status {
	case StatusDraft, StatusDisconnected:
		return 1
	case StatusAuthorized:
		return 2
	case StatusConsented:
		return 3
	case StatusConfigured, StatusApplying, StatusFailed:
		return 4
	}
	return 0 // connected or disconnecting: the details page
}

func progress(steps []store.IntegrationStep) int {
	if len(steps) == 0 {
		return 0
	}
	done := 0
	for _, st := range steps {
		if st.Status == stepOK || st.Status == stepSkipped {
			done++
		}
	}
	return done * 100 / len(steps)
}

// product is the product's name as the provider brands it, for scripts
// and messages a tenant reads.
func (s *Service) product(ctx context.Context) string { return s.brand.Current(ctx).ProductName }

// publish tells the tenant's watchers that the integration changed.
func (s *Service) publish(ctx context.Context, tenantID string) {
	v, err := s.Get(ctx, tenantID)
	if err != nil {
		s.log.Warn("integration: cannot publish progress", "tenant", tenantID, "err", err)
		return
	}
	s.bus.Publish(ctx, events.New(tenantID, "integration.progress", v, s.now()))
}

// Create starts a Teams integration in the tenant: one per tenant; after a
// disconnect the same record starts over.
func (s *Service) Create(ctx context.Context, a account.Actor, tenantID, mode string) (View, error) {
	if mode != ModeAutomation && mode != ModePowerShell {
		return View{}, validateField("mode", "automation or powershell")
	}
	cfg, _ := json.Marshal(DefaultConfigFor(s.brand.Current(ctx)))
	err := s.db.InTx(ctx, func(q store.Q) error {
		i, err := s.load(ctx, q, tenantID)
		switch {
		case errors.Is(err, ErrNotFound):
			now := s.stamp()
			i = store.Integration{ID: account.NewID(), TenantID: tenantID, Kind: KindTeams, Mode: mode, Status: StatusDraft,
				Config: string(cfg), Resources: "{}", JobOptions: "{}", CreatedAt: now, UpdatedAt: now}
			if err := q.InsertIntegration(ctx, i); err != nil {
				if errors.Is(err, store.ErrConflict) {
					return ErrExists
				}
				return err
			}
		case err != nil:
			return err
		case i.Status != StatusDisconnected && i.Status != StatusDraft:
			return ErrExists
		default:
			i = resetIntegration(i, mode, string(cfg))
			if err := s.save(ctx, q, &i); err != nil {
				return err
			}
		}
		return s.audit(ctx, q, a, i, "create", map[string]string{"mode": mode})
	})
	if err != nil {
		return View{}, err
	}
	return s.Get(ctx, tenantID)
}

// resetIntegration clears a disconnected integration for a new wizard run.
func resetIntegration(i store.Integration, mode, cfg string) store.Integration {
	return store.Integration{ID: i.ID, TenantID: i.TenantID, Kind: i.Kind, Mode: mode, Status: StatusDraft, Config: cfg,
		Resources: "{}", JobOptions: "{}", CreatedAt: i.CreatedAt}
}

// SetMode switches between automation and PowerShell before applying.
func (s *Service) SetMode(ctx context.Context, a account.Actor, tenantID, mode string) (View, error) {
	if mode != ModeAutomation && mode != ModePowerShell {
		return View{}, validateField("mode", "automation or powershell")
	}
	err := s.db.InTx(ctx, func(q store.Q) error {
		i, err := s.load(ctx, q, tenantID)
		if err != nil {
			return err
		}
		if i.Status == StatusApplying || i.Status == StatusConnected || i.Status == StatusDisconnecting {
			return ErrWrongState
		}
		i.Mode = mode
		if err := s.save(ctx, q, &i); err != nil {
			return err
		}
		return s.audit(ctx, q, a, i, "mode", map[string]string{"mode": mode})
	})
	if err != nil {
		return View{}, err
	}
	return s.Get(ctx, tenantID)
}

// Delete forgets a draft or disconnected integration record.
func (s *Service) Delete(ctx context.Context, a account.Actor, tenantID string) error {
	return s.db.InTx(ctx, func(q store.Q) error {
		i, err := s.load(ctx, q, tenantID)
		if err != nil {
			return err
		}
		if i.Status != StatusDraft && i.Status != StatusDisconnected && i.Status != StatusAuthorized && i.Status != StatusConsented && i.Status != StatusConfigured {
			return ErrWrongState
		}
		if err := q.DeleteIntegration(ctx, tenantID, i.ID); err != nil {
			return err
		}
		return s.audit(ctx, q, a, i, "delete", nil)
	})
}
