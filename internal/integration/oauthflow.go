package integration

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/oauth2"

	"callrec/internal/account"
	"callrec/internal/auth"
	"callrec/internal/store"
	"callrec/internal/teams"
)

// OAuth purposes: why the admin was sent to Microsoft.
const (
	purposeSignIn     = "signin"
	purposeConsent    = "consent"
	purposeDisconnect = "disconnect"
)

// Outcome is what a Microsoft callback achieved, in words for the admin.
type Outcome struct {
	OK      bool   `json:"ok"`
	Message string `json:"message"`
	View    View   `json:"integration"`
}

// StartSignIn begins Step 1: it remembers a fresh state and PKCE verifier
// and returns Microsoft's sign-in URL.
func (s *Service) StartSignIn(ctx context.Context, a account.Actor, tenantID string) (string, error) {
	return s.startOAuth(ctx, a, tenantID, purposeSignIn, func(i store.Integration) bool {
		return i.Status == StatusDraft || i.Status == StatusAuthorized || i.Status == StatusConsented || i.Status == StatusConfigured
	})
}

// StartConsent begins Step 2: tenant-wide admin consent for the tenant the
// admin signed in to.
func (s *Service) StartConsent(ctx context.Context, a account.Actor, tenantID string) (string, error) {
	return s.startOAuth(ctx, a, tenantID, purposeConsent, func(i store.Integration) bool {
		return i.OrgID != "" && (i.Status == StatusAuthorized || i.Status == StatusConsented || i.Status == StatusConfigured)
	})
}

func (s *Service) startOAuth(ctx context.Context, a account.Actor, tenantID, purpose string, allowed func(store.Integration) bool) (string, error) {
	var target string
	err := s.db.InTx(ctx, func(q store.Q) error {
		i, err := s.load(ctx, q, tenantID)
		if err != nil {
			return err
		}
		if !allowed(i) {
			return ErrWrongState
		}
		i.OAuthState, i.OAuthVerifier, i.OAuthPurpose = auth.RandomToken(""), oauth2.GenerateVerifier(), purpose
		if purpose == purposeConsent {
			target = s.oauth.AdminConsentURL(i.OrgID, i.OAuthState)
		} else {
			tenant := "organizations"
			if purpose == purposeDisconnect && i.OrgID != "" {
				tenant = i.OrgID
			}
			target = s.oauth.AuthorizeURL(tenant, i.OAuthState, i.OAuthVerifier, "")
		}
		if err := s.save(ctx, q, &i); err != nil {
			return err
		}
		return s.audit(ctx, q, a, i, purpose+".start", nil)
	})
	return target, err
}

// HandleCallback takes Microsoft's redirect back (sign-in or consent) for
// the tenant of the signed-in callrec admin. The state must match the one
// this tenant's wizard issued; the outcome explains what happened.
func (s *Service) HandleCallback(ctx context.Context, a account.Actor, tenantID string, query url.Values) (Outcome, error) {
	i, err := s.load(ctx, s.db.Q(), tenantID)
	if err != nil {
		return Outcome{}, err
	}
	if i.OAuthState == "" || !auth.SameToken(query.Get("state"), i.OAuthState) {
		return Outcome{}, ErrBadState
	}
	purpose, verifier := i.OAuthPurpose, i.OAuthVerifier
	i.OAuthState, i.OAuthVerifier, i.OAuthPurpose = "", "", "" // single use
	var out Outcome
	switch purpose {
	case purposeConsent:
		out, err = s.consentCallback(ctx, &i, query)
	default:
		out, err = s.signInCallback(ctx, &i, query, verifier, purpose)
	}
	if err != nil {
		return out, err
	}
	var res Resources
	if err := decodeJSON(i.Resources, &res); err != nil {
		return out, err
	}
	res.Notice, res.NoticeOK = out.Message, out.OK
	i.Resources = encodeJSON(res)
	err = s.db.InTx(ctx, func(q store.Q) error {
		if err := s.save(ctx, q, &i); err != nil {
			return err
		}
		return s.audit(ctx, q, a, i, purpose+".callback", map[string]any{"ok": out.OK, "message": out.Message})
	})
	if err != nil {
		return out, err
	}
	if out.OK && purpose == purposeDisconnect {
		s.publish(ctx, tenantID)
	}
	out.View, err = s.Get(ctx, tenantID)
	return out, err
}

// microsoftError turns an error redirect into plain words.
func microsoftError(q url.Values, action string) string {
	code, desc := q.Get("error"), q.Get("error_description")
	switch {
	case code == "access_denied" && (strings.Contains(strings.ToLower(desc), "cancel") || strings.Contains(desc, "declined")):
		return "The " + action + " was cancelled at Microsoft. Nothing was changed; press Continue to try again."
	case code == "access_denied":
		return "Microsoft denied access: " + desc + ". Sign in with a Global Administrator of the Teams tenant."
	case code == "consent_required":
		return "Microsoft says consent is still required (" + desc + "). Sign in with a Global Administrator and accept the permissions for the whole organization."
	}
	return fmt.Sprintf("Microsoft answered %q: %s", code, desc)
}

func (s *Service) signInCallback(ctx context.Context, i *store.Integration, q url.Values, verifier, purpose string) (Outcome, error) {
	if q.Get("error") != "" {
		return Outcome{Message: microsoftError(q, "sign-in")}, nil
	}
	tok, id, err := s.oauth.Exchange(ctx, q.Get("code"), verifier)
	if err != nil {
		return Outcome{Message: "The sign-in could not be completed: " + err.Error()}, nil
	}
	if i.OrgID != "" && id.TenantID != i.OrgID && (purpose == purposeDisconnect || i.AdminConsent) {
		return Outcome{Message: fmt.Sprintf("You signed in to another Microsoft tenant (%s) than the one this integration uses (%s %s). Sign in with an administrator of %s.",
			id.TenantID, i.OrgDomain, i.OrgID, i.OrgDomain)}, nil
	}
	org, err := teams.NewGraph(s.ep, s.hc, tok.AccessToken).Organization(ctx)
	if err != nil {
		return Outcome{Message: "Signed in, but the organization could not be read from Microsoft Graph: " + err.Error()}, nil
	}
	if org.ID != id.TenantID {
		return Outcome{}, fmt.Errorf("integration: Graph organization %s differs from the signed-in tenant %s", org.ID, id.TenantID)
	}
	i.AuthorizedBy, i.OrgID, i.OrgDomain = id.UPN, id.TenantID, org.InitialDomain
	if err := s.writeTokens(i, tokenSet{RefreshToken: tok.RefreshToken, Graph: tok}); err != nil {
		return Outcome{}, err
	}
	if purpose == purposeDisconnect {
		if err := s.queueDisconnect(ctx, i); err != nil {
			return Outcome{}, err
		}
		return Outcome{OK: true, Message: "Signed in as " + id.UPN + ". Removing the Teams resources now."}, nil
	}
	if i.Status == StatusDraft {
		i.Status = StatusAuthorized
	}
	return Outcome{OK: true, Message: "Successfully received permissions for organization domain " + org.InitialDomain}, nil
}

// consentCallback accepts only admin_consent=True for the very tenant the
// verified sign-in named, and then checks through Graph that the consent
// created callrec's service principal there: never the query's word alone.
func (s *Service) consentCallback(ctx context.Context, i *store.Integration, q url.Values) (Outcome, error) {
	if q.Get("error") != "" {
		return Outcome{Message: microsoftError(q, "admin consent")}, nil
	}
	if !strings.EqualFold(q.Get("admin_consent"), "true") {
		return Outcome{Message: "Microsoft did not confirm the admin consent. Press Continue and accept the permissions for your organization."}, nil
	}
	if t := q.Get("tenant"); !strings.EqualFold(t, i.OrgID) {
		return Outcome{Message: fmt.Sprintf("The consent was given in another Microsoft tenant (%s) than the one you signed in to (%s, %s). Press Continue and sign in with an administrator of %s.",
			t, i.OrgDomain, i.OrgID, i.OrgDomain)}, nil
	}
	token, err := s.accessToken(ctx, i, teams.GraphScope)
	if err != nil {
		return Outcome{}, err
	}
	spID, err := s.waitForServicePrincipal(ctx, teams.NewGraph(s.ep, s.hc, token))
	var missing *teams.APIError
	if errors.As(err, &missing) && missing.Code == codeMissingAppRoles {
		return Outcome{Message: "Microsoft reported consent, but " + missing.Message + ". Press Continue and accept every permission for your organization."}, nil
	}
	if teams.IsNotFound(err) {
		return Outcome{Message: "Microsoft reported consent, but no tenant-wide consent for " + s.product(ctx) + " is registered in " + i.OrgDomain + " yet. Wait a minute and press Continue again."}, nil
	}
	if err != nil {
		var ae *teams.APIError
		if errors.As(err, &ae) {
			return Outcome{Message: "The consent could not be checked with Microsoft Graph: " + ae.Message}, nil
		}
		return Outcome{}, err
	}
	var res Resources
	if err := decodeJSON(i.Resources, &res); err != nil {
		return Outcome{}, err
	}
	res.ServicePrincipalID = spID
	i.Resources = encodeJSON(res)
	i.AdminConsent = true
	if i.Status == StatusAuthorized {
		i.Status = StatusConsented
	}
	return Outcome{OK: true, Message: "Admin consent received for " + i.OrgDomain + "."}, nil
}

func newState() string    { return auth.RandomToken("") }
func newVerifier() string { return oauth2.GenerateVerifier() }

// waitForServicePrincipal finds callrec's service principal in the tenant
// and checks that it holds a tenant-wide (AllPrincipals) grant, which only
// an admin consent creates — a user's own consent at sign-in makes the
// service principal too. Microsoft's directory shows both only after they
// have replicated, so it tries a few times over about half a minute.
func (s *Service) waitForServicePrincipal(ctx context.Context, g *teams.Graph) (string, error) {
	var err error
	for attempt := 1; attempt <= 4; attempt++ {
		var id string
		if id, err = s.tenantWideGrant(ctx, g); err == nil {
			return id, nil
		}
		if !teams.IsNotFound(err) && !teams.IsTransient(err) {
			return "", err
		}
		if attempt < 4 {
			if serr := s.sleep(ctx, backoff(attempt+1, teams.RetryAfter(err))); serr != nil {
				return "", serr
			}
		}
	}
	return "", err
}

func (s *Service) tenantWideGrant(ctx context.Context, g *teams.Graph) (string, error) {
	id, err := g.ServicePrincipalID(ctx, s.ep.ClientID)
	if err != nil {
		return "", err
	}
	grants, err := g.Grants(ctx, id)
	if err != nil {
		return "", err
	}
	tenantWide := false
	for _, gr := range grants {
		tenantWide = tenantWide || gr.ConsentType == "AllPrincipals"
	}
	if !tenantWide {
		return "", &teams.APIError{Status: 404, Code: "Request_ResourceNotFound", Message: "no tenant-wide grant for " + s.product(ctx)}
	}
	if missing, err := missingAppRoles(ctx, g, id); err != nil || len(missing) > 0 {
		if err == nil {
			err = &teams.APIError{Status: 404, Code: codeMissingAppRoles,
				Message: s.product(ctx) + " does not hold the application permission(s) " + strings.Join(missing, ", ") + " in the tenant yet"}
		}
		return "", err
	}
	return id, nil
}

// codeMissingAppRoles marks a consent without the bot's application permissions.
const codeMissingAppRoles = "MissingAppRoles"

// missingAppRoles lists the application permissions of teams.RequiredPermissions
// that callrec's service principal does not hold: the delegated grant alone
// lets callrec provision, but the recording bot needs these to answer calls.
func missingAppRoles(ctx context.Context, g *teams.Graph, spID string) ([]string, error) {
	want := teams.RequiredAppRoles(teams.GraphAppID)
	if len(want) == 0 {
		return nil, nil
	}
	graphSP, roles, err := g.ResourceRoles(ctx, teams.GraphAppID)
	if err != nil {
		return nil, err
	}
	held, err := g.AppRoleAssignments(ctx, spID)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, a := range held {
		if a.ResourceID == graphSP {
			have[roles[a.AppRoleID]] = true
		}
	}
	var missing []string
	for _, v := range want {
		if !have[v] {
			missing = append(missing, v)
		}
	}
	return missing, nil
}
