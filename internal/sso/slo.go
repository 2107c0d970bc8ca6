package sso

import (
	"context"
	"errors"
	"net/http"

	"github.com/crewjam/saml"

	"callrec/internal/caller"
	"callrec/internal/store"
)

// LogoutURL is where signing out of a SAML session continues: a signed
// LogoutRequest to the IdP's SLO URL (HTTP-Redirect binding), remembered
// so that the IdP's LogoutResponse is accepted once. It is "" when the
// session did not come from SAML or its IdP has no SLO URL. Call it before
// ending the session locally; the caller ends it either way.
func (s *Service) LogoutURL(ctx context.Context, sess store.Session) (string, error) {
	if sess.SAML.IdPID == "" {
		return "", nil
	}
	idp, err := s.db.Q().GetSAMLIdP(ctx, sess.SAML.IdPID)
	if errors.Is(err, store.ErrNotFound) || err == nil && idp.SLOURL == "" {
		return "", nil
	} else if err != nil {
		return "", err
	}
	sp, err := s.sp(&idp)
	if err != nil {
		return "", err
	}
	var opts []saml.LogoutRequestOption
	if sess.SAML.SessionIndex != "" {
		opts = append(opts, saml.WithSessionIndex(sess.SAML.SessionIndex))
	}
	req, err := sp.MakeLogoutRequest(idp.SLOURL, sess.SAML.NameID, opts...)
	if err != nil {
		return "", err
	}
	now := s.stamp()
	if err := s.db.Q().InsertSAMLRequest(ctx, store.SAMLRequest{ID: req.ID, IdPID: idp.ID, Relay: logoutRelay,
		CreatedAt: now, ExpiresAt: now.Add(requestTTL)}); err != nil {
		return "", err
	}
	u, err := sp.RedirectLogoutRequestURL(req, "")
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// SLOResult is what the SLO endpoint did: Redirect is where the browser
// goes next (the LogoutResponse to the IdP, or callrec's sign-in page once
// the IdP answered our LogoutRequest); Ended counts the sessions ended.
type SLOResult struct {
	Redirect string
	Ended    int
	Response bool // the message was the IdP's LogoutResponse
}

// SLO handles the Single Logout endpoint, both bindings: an IdP-initiated
// LogoutRequest ends the callrec sessions of that NameID (and
// SessionIndex) and is answered with a signed LogoutResponse; a
// LogoutResponse must answer a LogoutRequest callrec sent. Refusals are
// *Refusal and audited.
func (s *Service) SLO(ctx context.Context, r *http.Request, ip string) (SLOResult, error) {
	res, idp, err := s.slo(ctx, r, ip)
	var ref *Refusal
	if errors.As(err, &ref) {
		detail := map[string]string{"reason": ref.Code}
		if ref.Err != nil {
			detail["cause"] = ref.Err.Error()
		}
		if aerr := s.audit(ctx, s.db.Q(), caller.Actor{IP: ip}, idp.TenantID, "saml.logout_refused", idp.ID, detail); aerr != nil {
			s.log.Error("sso: audit refusal", "err", aerr)
		}
	}
	return res, err
}

func (s *Service) slo(ctx context.Context, r *http.Request, ip string) (SLOResult, store.SAMLIdP, error) {
	var idp store.SAMLIdP
	param := "SAMLRequest"
	if r.URL.Query().Get("SAMLResponse") != "" || r.PostFormValue("SAMLResponse") != "" {
		param = "SAMLResponse"
	}
	p, err := peek(r, param)
	if err != nil {
		return SLOResult{}, idp, refuse(RefusedMalformed, err)
	}
	if idp, err = s.db.Q().GetSAMLIdPByEntityID(ctx, p.Issuer); err != nil {
		return SLOResult{}, idp, refuse(RefusedUnknownIdP, err)
	}
	sp, err := s.sp(&idp)
	if err != nil {
		return SLOResult{}, idp, err
	}
	sp.ReplayCache = replayCache{ctx: ctx, db: s.db}
	if param == "SAMLResponse" {
		req, err := s.db.Q().TakeSAMLRequest(ctx, idp.ID, p.InResponseTo)
		if err != nil || req.Relay != logoutRelay {
			return SLOResult{}, idp, refuse(RefusedRequest, err)
		}
		if _, err := sp.ParseLogoutResponse(r, []string{req.ID}); err != nil {
			return SLOResult{}, idp, classify(err)
		}
		return SLOResult{Redirect: "/login", Response: true}, idp, nil
	}
	lr, err := sp.ValidateLogoutRequest(r)
	if err != nil {
		return SLOResult{}, idp, classify(err)
	}
	ended, err := s.endSessions(ctx, idp, lr, ip)
	if err != nil {
		return SLOResult{}, idp, err
	}
	relay := r.URL.Query().Get("RelayState")
	if !p.Redirect {
		relay = r.PostFormValue("RelayState")
	}
	u, err := sp.MakeRedirectLogoutResponse(lr.ID, relay)
	if err != nil {
		return SLOResult{}, idp, err
	}
	return SLOResult{Redirect: u.String(), Ended: ended}, idp, nil
}

// endSessions ends the sessions an IdP's LogoutRequest names, audited.
func (s *Service) endSessions(ctx context.Context, idp store.SAMLIdP, lr *saml.LogoutRequest, ip string) (int, error) {
	if lr.NameID == nil {
		return 0, refuse(RefusedMalformed, errors.New("LogoutRequest without NameID"))
	}
	var indexes []string
	if lr.SessionIndex != nil {
		indexes = append(indexes, lr.SessionIndex.Value)
	}
	for _, x := range lr.AdditionalSessionIndexes {
		indexes = append(indexes, x.Value)
	}
	var n int
	err := s.db.InTx(ctx, func(q store.Q) error {
		ended, err := q.DeleteSAMLSessions(ctx, idp.ID, lr.NameID.Value, indexes)
		if err != nil {
			return err
		}
		n = len(ended)
		for _, sess := range ended {
			u, err := q.GetUserByID(ctx, sess.UserID)
			if err != nil {
				return err
			}
			if err := s.audit(ctx, q, caller.Actor{UserID: u.ID, Login: u.Login, IP: ip}, u.TenantID, "signout.saml", idp.ID,
				map[string]string{"initiated_by": "idp"}); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}
