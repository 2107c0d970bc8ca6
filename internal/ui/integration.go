package ui

import (
	"errors"
	"net/http"
	"strings"

	"callrec/internal/integration"
	"callrec/internal/principal"
	"callrec/internal/validate"
)

// Administration > System > Integrations: the list, the Add Integration
// dialog, the Teams wizard (four steps), the details page and Disconnect.
// The pages only collect input and show state; integration.Service does
// the work, as it does for the API.

var errNoTeams = &pageError{Status: http.StatusServiceUnavailable, Title: "Microsoft Teams is not configured",
	Message: "This installation has no Microsoft app registration. Ask your service provider to configure it."}

// errNoTeamsProvider tells the provider how to configure it (a tenant
// never sees the product's variable names: the brand is the provider's).
var errNoTeamsProvider = &pageError{Status: http.StatusServiceUnavailable, Title: "Microsoft Teams is not configured",
	Message: "This installation has no Microsoft app registration: set CALLREC_MS_CLIENT_ID and CALLREC_MS_CLIENT_SECRET."}

// integrationTenant is the acting tenant, once the installation has a
// Microsoft app to integrate with.
func (h *Handler) integrationTenant(p *principal.Principal) (string, error) {
	if h.Integrations == nil {
		if p.IsProvider() {
			return "", errNoTeamsProvider
		}
		return "", errNoTeams
	}
	return p.TenantID, nil
}

type integrationsData struct {
	Items      []integration.View
	Configured bool
	HasTeams   bool
	Adding     bool
}

func (h *Handler) integrationsPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	d := integrationsData{Configured: h.Integrations != nil, Adding: r.URL.Query().Get("add") != ""}
	if h.Integrations != nil {
		var err error
		if d.Items, err = h.Integrations.List(r.Context(), p.TenantID); err != nil {
			return err
		}
		d.HasTeams = len(d.Items) > 0 && d.Items[0].Status != integration.StatusDisconnected
	}
	h.adminView(w, r, http.StatusOK, "integrations", "Integrations", "integrations", d, "")
	return nil
}

func (h *Handler) addIntegration(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	tenantID, err := h.integrationTenant(p)
	if err != nil {
		return err
	}
	if r.PostForm.Get("integration") != "teams" {
		return &pageError{Status: http.StatusBadRequest, Title: "Choose an integration", Message: "Pick Microsoft Teams from the list.", Href: "/admin/integrations?add=1", Action: "Back"}
	}
	if _, err := h.Integrations.Create(r.Context(), p.Actor(), tenantID, integration.ModeAutomation); errors.Is(err, integration.ErrExists) {
		return &pageError{Status: http.StatusConflict, Title: "Microsoft Teams is already connected",
			Message: "This organization already has a Microsoft Teams integration. Open it to see its settings, or disconnect it before adding a new one.",
			Href:    "/admin/integrations/teams", Action: "Open the integration"}
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/integrations/teams", http.StatusSeeOther)
	return nil
}

// teamsData is what the wizard, details and disconnect pages show.
type teamsData struct {
	V          integration.View
	Tab        int // the wizard tab to show
	Notice     string
	NoticeOK   bool
	Config     integration.Config
	Fields     validate.Errors
	Statement  string
	FlagsWarn  string
	Running    bool
	Removing   bool // the disconnect's Step 2: the removal job runs or stopped
	Finished   bool // the job just pressed for (?job=1) has ended well: its list with Close
	Disconnect integration.DisconnectOptions
	Missing    []string
}

func (h *Handler) teamsData(r *http.Request, tenantID string) (teamsData, error) {
	v, err := h.Integrations.Get(r.Context(), tenantID)
	if errors.Is(err, integration.ErrNotFound) {
		return teamsData{}, errNoIntegration
	}
	if err != nil {
		return teamsData{}, err
	}
	d := teamsData{V: v, Tab: v.WizardStep, Config: v.Config, Statement: integration.NotificationStatement,
		FlagsWarn: integration.FlagsWarning, Running: v.Running(),
		Disconnect: integration.DefaultDisconnect(),
		Removing:   v.Status == integration.StatusDisconnecting || v.Status == integration.StatusDisconnectErr}
	if v.Disconnect != nil {
		d.Disconnect = *v.Disconnect
	}
	if r.URL.Query().Get("returned") != "" {
		d.Notice, d.NoticeOK = v.Resources.Notice, v.Resources.NoticeOK
	}
	if r.URL.Query().Get("job") != "" && v.Finished() {
		// Straight from Apply, Retry or the disconnect's sign-in: the job
		// ends on this page, as the guide's wizard does, even when it was
		// over before the page was asked for.
		d.Finished = true
		if v.JobKind == integration.JobDisconnect {
			d.Removing = true
		} else {
			d.Tab = 4
		}
	}
	return d, nil
}

func (h *Handler) teamsPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	tenantID, err := h.integrationTenant(p)
	if err != nil {
		return err
	}
	d, err := h.teamsData(r, tenantID)
	if err != nil {
		return err
	}
	if tab := r.URL.Query().Get("step"); tab != "" && d.Tab > 0 {
		if n := int(tab[0] - '0'); n >= 1 && n < d.Tab {
			d.Tab = n // Back: look at an earlier step
		}
	}
	h.adminView(w, r, http.StatusOK, "integration", "Microsoft Teams", "integrations", d, "")
	return nil
}

func (h *Handler) teamsSignIn(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	tenantID, err := h.integrationTenant(p)
	if err != nil {
		return err
	}
	mode := r.PostForm.Get("mode")
	if mode != "" {
		if _, err := h.Integrations.SetMode(r.Context(), p.Actor(), tenantID, mode); err != nil {
			return h.integrationFailure(err)
		}
	}
	target, err := h.Integrations.StartSignIn(r.Context(), p.Actor(), tenantID)
	if err != nil {
		return h.integrationFailure(err)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

func (h *Handler) teamsConsent(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	tenantID, err := h.integrationTenant(p)
	if err != nil {
		return err
	}
	target, err := h.Integrations.StartConsent(r.Context(), p.Actor(), tenantID)
	if err != nil {
		return h.integrationFailure(err)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// configFromForm reads Step 3's fields.
func configFromForm(r *http.Request) integration.Config {
	f := r.PostForm
	on := func(k string) bool { return f.Get(k) == "on" }
	return integration.Config{Scope: f.Get("scope"), GroupName: f.Get("group_name"), GroupNickname: f.Get("group_nickname"),
		Notification: on("notification"), NotificationAgreed: on("notification_agreed"), AppName: f.Get("app_name"),
		AppUPNLocal: f.Get("app_upn_local"), PolicyName: f.Get("policy_name"), PolicyDescription: f.Get("policy_description"),
		Flags: integration.Flags{RequiredBeforeMeetingJoin: on("flag_meeting_join"), RequiredBeforeCallEstablishment: on("flag_call_establishment"),
			RequiredDuringMeeting: on("flag_during_meeting"), RequiredDuringCall: on("flag_during_call")}}
}

func (h *Handler) teamsConfigure(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	tenantID, err := h.integrationTenant(p)
	if err != nil {
		return err
	}
	cfg := configFromForm(r)
	v, err := h.Integrations.Configure(r.Context(), p.Actor(), tenantID, cfg)
	var verrs validate.Errors
	if errors.As(err, &verrs) {
		d, derr := h.teamsData(r, tenantID)
		if derr != nil {
			return derr
		}
		d.Tab, d.Config, d.Fields = 3, cfg, verrs
		h.adminView(w, r, http.StatusBadRequest, "integration", "Microsoft Teams", "integrations", d, "Some settings need your attention.")
		return nil
	}
	if err != nil {
		return h.integrationFailure(err)
	}
	if v.Mode == integration.ModeAutomation {
		if _, err := h.Integrations.Apply(r.Context(), p.Actor(), tenantID); err != nil {
			return h.integrationFailure(err)
		}
		http.Redirect(w, r, "/admin/integrations/teams?job=1", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/admin/integrations/teams", http.StatusSeeOther)
	return nil
}

func (h *Handler) teamsRetry(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	tenantID, err := h.integrationTenant(p)
	if err != nil {
		return err
	}
	if _, err := h.Integrations.Retry(r.Context(), p.Actor(), tenantID); err != nil {
		return h.integrationFailure(err)
	}
	http.Redirect(w, r, "/admin/integrations/teams?job=1", http.StatusSeeOther)
	return nil
}

func (h *Handler) teamsVerify(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	tenantID, err := h.integrationTenant(p)
	if err != nil {
		return err
	}
	_, missing, err := h.Integrations.Verify(r.Context(), p.Actor(), tenantID)
	if err != nil {
		return h.integrationFailure(err)
	}
	d, err := h.teamsData(r, tenantID)
	if err != nil {
		return err
	}
	d.Missing = missing
	msg := ""
	if len(missing) > 0 {
		msg = "Not everything is in place yet: see the list below, then press Verify again."
	}
	h.adminView(w, r, http.StatusOK, "integration", "Microsoft Teams", "integrations", d, msg)
	return nil
}

func (h *Handler) teamsDisconnectPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	tenantID, err := h.integrationTenant(p)
	if err != nil {
		return err
	}
	d, err := h.teamsData(r, tenantID)
	if err != nil {
		return err
	}
	h.adminView(w, r, http.StatusOK, "integration-disconnect", "Disconnect from Microsoft Teams", "integrations", d, "")
	return nil
}

func (h *Handler) teamsDisconnect(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	tenantID, err := h.integrationTenant(p)
	if err != nil {
		return err
	}
	f := r.PostForm
	on := func(k string) bool { return f.Get(k) == "on" }
	o := integration.DisconnectOptions{Mode: f.Get("mode"), RemoveAssignment: on("remove_assignment"), RemoveGroup: on("remove_group"),
		RemovePolicy: on("remove_policy"), RemoveInstance: on("remove_instance"), DeleteAppUser: on("delete_app_user"),
		RevokeConsent: on("revoke_consent"), ConfirmDomain: strings.TrimSpace(f.Get("confirm_domain"))}
	target, err := h.Integrations.Disconnect(r.Context(), p.Actor(), tenantID, o)
	var verrs validate.Errors
	if errors.As(err, &verrs) {
		d, derr := h.teamsData(r, tenantID)
		if derr != nil {
			return derr
		}
		d.Disconnect, d.Fields = o, verrs
		h.adminView(w, r, http.StatusBadRequest, "integration-disconnect", "Disconnect from Microsoft Teams", "integrations", d,
			"Nothing was removed: "+verrs["confirm_domain"])
		return nil
	}
	if err != nil {
		return h.integrationFailure(err)
	}
	if target == "" {
		http.Redirect(w, r, "/admin/integrations/teams", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

func (h *Handler) teamsDelete(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	tenantID, err := h.integrationTenant(p)
	if err != nil {
		return err
	}
	if err := h.Integrations.Delete(r.Context(), p.Actor(), tenantID); err != nil {
		return h.integrationFailure(err)
	}
	http.Redirect(w, r, "/admin/integrations", http.StatusSeeOther)
	return nil
}

// integrationFailure explains a refused wizard action.
func (h *Handler) integrationFailure(err error) error {
	if errors.Is(err, integration.ErrWrongState) || errors.Is(err, integration.ErrNotFound) {
		return &pageError{Status: http.StatusConflict, Title: "That step is not available now",
			Message: "The integration has moved on (perhaps in another tab). Reload it to see where it stands.",
			Href:    "/admin/integrations/teams", Action: "Open the integration"}
	}
	return err
}
