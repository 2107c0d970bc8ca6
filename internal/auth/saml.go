package auth

import (
	"context"
	"errors"

	"callrec/internal/roles"
	"callrec/internal/store"
)

// AuthTypeSAML is the authentication type of users who sign in through
// their provider's portal (a SAML 2.0 IdP), never with a password.
const AuthTypeSAML = "saml"

// Errors of the SAML door.
var (
	// ErrUseSSO: a SAML 2.0 user tried the password form.
	ErrUseSSO = errors.New("auth: this account signs in through the provider's portal (SAML 2.0)")
	// ErrNotSAMLUser: an IdP vouched for a user whose authentication type is not SAML 2.0.
	ErrNotSAMLUser = errors.New("auth: this account does not sign in by SAML 2.0")
)

// SAMLSignIn is a user an identity provider vouched for; internal/sso has
// checked the assertion and that the user is in the IdP's tenant(s).
type SAMLSignIn struct {
	User store.User
	SAML store.SAMLSession
	// IdPEnforcesMFA: the IdP is marked as enforcing MFA, so its sign-in
	// satisfies the tenant's 2-step rule. Terms still apply.
	IdPEnforcesMFA bool
	IP             string
}

// SignInSAML starts a session for a user an IdP vouched for, through the
// same session machinery as a password sign-in: the account must be SAML
// 2.0, active, within valid-till and allowed the web portal, and the
// session starts at the stage the user still owes (2-step verification,
// enrolment, terms). Refusals and the sign-in are audited.
func (s *Service) SignInSAML(ctx context.Context, r SAMLSignIn) (SignedIn, error) {
	u := r.User
	q := s.db.Q()
	detail := map[string]string{"method": "saml", "idp_id": r.SAML.IdPID}
	deny := func(reason string, err error) (SignedIn, error) {
		detail["reason"] = reason
		_ = s.audit(ctx, q, &u, u.Login, "signin.denied", r.IP, detail)
		return SignedIn{}, err
	}
	if u.AuthType != AuthTypeSAML {
		return deny("authentication type is not SAML 2.0", ErrNotSAMLUser)
	}
	if !s.mayUse(u, roles.PortalAccess) {
		return deny("no portal access", ErrNoAccess)
	}
	stage, err := s.samlStage(ctx, q, u, r.IdPEnforcesMFA)
	if err != nil {
		return SignedIn{}, err
	}
	detail["stage"] = stage
	var out SignedIn
	err = s.db.InTx(ctx, func(q store.Q) error {
		if out, err = s.newSession(ctx, q, u, stage, r.IP, r.SAML); err != nil {
			return err
		}
		return s.audit(ctx, q, &u, u.Login, "signin.success", r.IP, detail)
	})
	return out, err
}

// samlStage is where a SAML sign-in starts: an IdP that enforces MFA
// stands for the second factor; otherwise the user's own 2-step
// verification (or its enrolment) is still owed.
func (s *Service) samlStage(ctx context.Context, q store.Q, u store.User, idpMFA bool) (string, error) {
	if idpMFA {
		v, err := s.termsVersion(ctx, q, u)
		if err != nil {
			return "", err
		}
		if u.TermsAcceptedVersion < v {
			return StageTerms, nil
		}
		return StageOK, nil
	}
	if u.TOTPEnabled {
		return StageMFA, nil
	}
	return s.nextStage(ctx, q, u)
}
