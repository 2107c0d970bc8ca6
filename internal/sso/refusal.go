package sso

import (
	"crypto/rsa"
	"errors"
	"strings"

	"github.com/crewjam/saml"
)

// Refusal is why a SAML message or sign-in was refused: a stable code (the
// audit log's reason) and a text safe to show on the error page. The
// library's detailed cause is in Err, for the log and the audit entry only.
type Refusal struct {
	Code    string
	Message string
	Err     error
}

func (r *Refusal) Error() string {
	if r.Err != nil {
		return "sso: refused (" + r.Code + "): " + r.Err.Error()
	}
	return "sso: refused (" + r.Code + ")"
}

func (r *Refusal) Unwrap() error { return r.Err }

// The refusal codes.
const (
	RefusedMalformed     = "malformed"
	RefusedUnknownIdP    = "unknown_idp"
	RefusedIdPDisabled   = "idp_disabled"
	RefusedUnsigned      = "unsigned"
	RefusedSignature     = "bad_signature"
	RefusedAudience      = "wrong_audience"
	RefusedDestination   = "wrong_destination"
	RefusedExpired       = "expired"
	RefusedNotYetValid   = "not_yet_valid"
	RefusedReplay        = "replayed"
	RefusedRequest       = "unknown_request"
	RefusedIssuer        = "wrong_issuer"
	RefusedStatus        = "idp_error"
	RefusedNoUser        = "unknown_user"
	RefusedNoMatch       = "no_match_value"
	RefusedTenant        = "other_tenant"
	RefusedNotSAML       = "not_saml_user"
	RefusedNoAccess      = "no_access"
	RefusedInvalid       = "invalid"
	RefusedNoSSOEndpoint = "no_sso_url"
)

var refusalText = map[string]string{
	RefusedMalformed:     "The sign-in message from the identity provider could not be read.",
	RefusedUnknownIdP:    "The sign-in came from an identity provider this service does not know.",
	RefusedIdPDisabled:   "Single sign-on through this identity provider is switched off.",
	RefusedUnsigned:      "The sign-in message is not signed by the identity provider.",
	RefusedSignature:     "The sign-in message is not signed by the identity provider's certificate, or was changed after signing.",
	RefusedAudience:      "The sign-in message was issued for another service.",
	RefusedDestination:   "The sign-in message was addressed to another service.",
	RefusedExpired:       "The sign-in message has expired. Start again from your portal.",
	RefusedNotYetValid:   "The sign-in message is not valid yet: the identity provider's clock may be wrong.",
	RefusedReplay:        "This sign-in message was used already. Start again from your portal.",
	RefusedRequest:       "The sign-in answers no request this service is waiting for. Start again.",
	RefusedIssuer:        "The sign-in message does not come from the identity provider it names.",
	RefusedStatus:        "The identity provider could not sign you in.",
	RefusedNoUser:        "No Call Recording user matches your portal account. Ask your administrator.",
	RefusedNoMatch:       "The identity provider did not send the attribute that identifies you.",
	RefusedTenant:        "Your account belongs to another organisation than this identity provider serves.",
	RefusedNotSAML:       "Your account does not use SAML 2.0 single sign-on: sign in with your login and password.",
	RefusedNoAccess:      "This account may not use the web portal: it is inactive, past its valid-till date, or has no web portal access. Ask your administrator.",
	RefusedInvalid:       "The sign-in message is not valid.",
	RefusedNoSSOEndpoint: "This identity provider has no sign-in address configured.",
}

func refuse(code string, err error) *Refusal {
	return &Refusal{Code: code, Message: refusalText[code], Err: err}
}

// classify names the library's error.
func classify(err error) *Refusal {
	var ivr *saml.InvalidResponseError
	cause := err
	if errors.As(err, &ivr) && ivr.PrivateErr != nil {
		cause = ivr.PrivateErr
	}
	var status saml.ErrBadStatus
	switch {
	case strings.Contains(cause.Error(), "signature element not present"):
		// crewjam/saml leaves a missing signature unclassified (an
		// unexported error); its text is the only handle.
		return refuse(RefusedUnsigned, cause)
	case errors.Is(cause, saml.ErrAssertionReplayed):
		return refuse(RefusedReplay, cause)
	case errors.Is(cause, saml.ErrInvalidSignature), errors.Is(cause, saml.ErrUntrustedCertificate),
		errors.Is(cause, rsa.ErrVerification), // a Redirect-binding signature, left unclassified
		errors.Is(cause, saml.ErrCertificateNotValidNow):
		return refuse(RefusedSignature, cause)
	case errors.Is(cause, saml.ErrAudienceMismatch):
		return refuse(RefusedAudience, cause)
	case errors.Is(cause, saml.ErrDestinationMismatch):
		return refuse(RefusedDestination, cause)
	case errors.Is(cause, saml.ErrExpired):
		return refuse(RefusedExpired, cause)
	case errors.Is(cause, saml.ErrNotYetValid):
		return refuse(RefusedNotYetValid, cause)
	case errors.Is(cause, saml.ErrRequestIDMismatch):
		return refuse(RefusedRequest, cause)
	case errors.Is(cause, saml.ErrIssuerMismatch):
		return refuse(RefusedIssuer, cause)
	case errors.As(cause, &status):
		return refuse(RefusedStatus, cause)
	case errors.Is(cause, saml.ErrMalformedMessage), errors.Is(cause, saml.ErrMissingElement):
		return refuse(RefusedMalformed, cause)
	}
	return refuse(RefusedInvalid, cause)
}
