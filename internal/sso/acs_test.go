package sso_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	"github.com/crewjam/saml/samlsp"

	"callrec/internal/account"
	"callrec/internal/auth"
	"callrec/internal/sso"
	"callrec/internal/store/storetest"
)

// refusedAs checks err is a refusal with the code, audited for the IdP.
func (e *env) refusedAs(t *testing.T, err error, code string) {
	t.Helper()
	var ref *sso.Refusal
	if !errors.As(err, &ref) {
		t.Fatalf("err = %v, want a refusal %q", err, code)
	}
	if ref.Code != code {
		t.Fatalf("refused as %q (%v), want %q", ref.Code, ref.Err, code)
	}
	if ref.Message == "" {
		t.Fatalf("refusal %q has no message for the page", code)
	}
	a, ok := e.lastAudit(e.tenant.ID, "saml.refused")
	if !ok || !strings.Contains(a.Detail, `"reason":"`+code+`"`) {
		t.Fatalf("no audit entry for refusal %q (last: %+v)", code, a)
	}
}

func TestIdPInitiatedSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		u := e.user(e.tenant.ID, "Jane@Contoso.example", "saml", nil)
		res, err := e.post(e.idp.signed("", assertion{nameID: "jane@contoso.EXAMPLE"}), "/recordings?x=1")
		if err != nil {
			t.Fatalf("sign-in: %v", err)
		}
		if res.SignedIn.User.ID != u.ID || res.SignedIn.Session.Stage != auth.StageOK || res.Next != "/recordings?x=1" {
			t.Fatalf("signed in %+v next %q", res.SignedIn.Session, res.Next)
		}
		sess, user, err := e.auth.Resolve(context.Background(), res.SignedIn.Token)
		if err != nil || user.ID != u.ID || sess.SAML.IdPID != e.reg.ID || sess.SAML.NameID != "jane@contoso.EXAMPLE" || sess.SAML.SessionIndex != "idx-1" {
			t.Fatalf("session %+v user %s err %v", sess, user.Login, err)
		}
		if a, ok := e.lastAudit(e.tenant.ID, "signin.success"); !ok || !strings.Contains(a.Detail, "saml") {
			t.Fatalf("sign-in not audited: %+v", a)
		}
	})
}

func TestSPInitiatedSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		u := e.user(e.tenant.ID, "jane@contoso.example", "saml", nil)
		to, err := e.sso.StartLogin(context.Background(), e.reg.ID, "/dashboard")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(to, "https://idp.test/sso?") || !strings.Contains(to, "Signature=") {
			t.Fatalf("redirect %q is not a signed Redirect-binding AuthnRequest", to)
		}
		// RelayState is ignored for SP-initiated: the stored relay wins.
		res, err := e.post(e.idp.signed(to, assertion{nameID: "jane@contoso.example"}), "//evil.example/")
		if err != nil {
			t.Fatalf("sign-in: %v", err)
		}
		if res.SignedIn.User.ID != u.ID || res.Next != "/dashboard" {
			t.Fatalf("signed in %s next %q", res.SignedIn.User.Login, res.Next)
		}
		// The request is answered once.
		_, err = e.post(e.idp.signed(to, assertion{nameID: "jane@contoso.example"}), "")
		e.refusedAs(t, err, sso.RefusedRequest)
	})
}

func TestRelayStateIsLocalOnly(t *testing.T) {
	for in, want := range map[string]string{"/calls": "/calls", "//evil.example": "/", "https://evil.example/": "/",
		"/\\evil.example": "/", "": "/", "javascript:alert(1)": "/"} {
		if got := sso.LocalPath(in); got != want {
			t.Errorf("LocalPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMatchAttribute(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		u := e.user(e.tenant.ID, "mail-opaque-id", "saml", nil)
		attr := "mail"
		if _, err := e.sso.UpdateIdP(context.Background(), e.provider, e.reg.ID, sso.IdPInput{MatchAttribute: &attr}); err != nil {
			t.Fatal(err)
		}
		res, err := e.post(e.idp.signed("", assertion{nameID: "opaque-id"}), "")
		if err != nil || res.SignedIn.User.ID != u.ID {
			t.Fatalf("match by mail: %v", err)
		}
	})
}

func TestRefusedMessages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		e.user(e.tenant.ID, "jane@contoso.example", "saml", nil)
		jane := assertion{nameID: "jane@contoso.example"}
		cases := []struct {
			name     string
			response func() []byte
			before   func()
			code     string
		}{
			{"unsigned response and assertion", func() []byte { return unsigned(t, e.idp, jane) }, nil, sso.RefusedUnsigned},
			{"signatures stripped", func() []byte { return stripSignatures(t, e.idp.signed("", jane)) }, nil, sso.RefusedUnsigned},
			{"signed by another key", func() []byte {
				return newTestIdP(t, e, idpEntityID).signed("", jane)
			}, nil, sso.RefusedSignature},
			{"signed assertion altered after signing", func() []byte {
				return replaceText(t, e.idp.signed("", jane), "jane@contoso.example", "boss@contoso.example")
			}, nil, sso.RefusedSignature},
			// Two assertions in an unsigned response: refused before any is trusted.
			{"wrapped: evil assertion before the signed one", func() []byte { return wrapped(t, e.idp, jane, false) }, nil, sso.RefusedMalformed},
			// The evil outer assertion carries no signature of its own.
			{"wrapped: signed assertion moved inside an evil one", func() []byte { return wrapped(t, e.idp, jane, true) }, nil, sso.RefusedUnsigned},
			{"wrong audience", func() []byte {
				return e.idp.signed("", assertion{nameID: jane.nameID, tweak: func(r *saml.IdpAuthnRequest) {
					r.Assertion.Conditions.AudienceRestrictions = []saml.AudienceRestriction{{Audience: saml.Audience{Value: "https://other-sp.example/metadata"}}}
				}})
			}, nil, sso.RefusedAudience},
			{"wrong destination", func() []byte {
				return e.idp.signed("", assertion{nameID: jane.nameID, tweak: func(r *saml.IdpAuthnRequest) {
					r.ACSEndpoint.Location = "https://other-sp.example/acs"
				}})
			}, nil, sso.RefusedDestination},
			{"expired", func() []byte { return e.idp.signed("", jane) }, func() { e.clock.Advance(time.Hour) }, sso.RefusedExpired},
			{"not yet valid", func() []byte {
				e.idp.at(e.clock.Now().Add(time.Hour))
				defer e.idp.at(e.clock.Now())
				return e.idp.signed("", jane)
			}, nil, sso.RefusedNotYetValid},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e.idp.at(e.clock.Now())
				resp := c.response()
				if c.before != nil {
					c.before()
				}
				res, err := e.post(resp, "")
				if err == nil {
					t.Fatalf("accepted: signed in %s", res.SignedIn.User.Login)
				}
				e.refusedAs(t, err, c.code)
			})
		}
	})
}

func TestReplayRefusedAcrossNodes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		e.user(e.tenant.ID, "jane@contoso.example", "saml", nil)
		resp := e.idp.signed("", assertion{nameID: "jane@contoso.example"})
		if _, err := e.post(resp, ""); err != nil {
			t.Fatal(err)
		}
		// A second node: its own Service on the same database.
		other, err := sso.New(context.Background(), e.db, e.auth, sso.Options{Now: e.clock.Now, PublicURL: publicURL})
		if err != nil {
			t.Fatal(err)
		}
		e.sso = other
		_, err = e.post(resp, "")
		e.refusedAs(t, err, sso.RefusedReplay)
	})
}

func TestRefusedUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		no := false
		yesterday := e.clock.Now().Add(-48 * time.Hour).Format("2006-01-02")
		e.user(e.tenant.ID, "pw@contoso.example", "password", nil)
		e.user(e.tenant.ID, "noportal@contoso.example", "saml", func(in *account.UserInput) { in.PortalAccess = &no })
		e.user(e.tenant.ID, "inactive@contoso.example", "saml", func(in *account.UserInput) { in.Active = &no })
		e.user(e.tenant.ID, "expired@contoso.example", "saml", func(in *account.UserInput) { in.ValidTill = &yesterday })
		e.user(e.other.ID, "jane@fabrikam.example", "saml", nil)
		for login, code := range map[string]string{
			"pw@contoso.example":       sso.RefusedNotSAML,
			"noportal@contoso.example": sso.RefusedNoAccess,
			"inactive@contoso.example": sso.RefusedNoAccess,
			"expired@contoso.example":  sso.RefusedNoAccess,
			"jane@fabrikam.example":    sso.RefusedTenant,
			"nobody@contoso.example":   sso.RefusedNoUser,
		} {
			t.Run(login, func(t *testing.T) {
				_, err := e.post(e.idp.signed("", assertion{nameID: login}), "")
				e.refusedAs(t, err, code)
			})
		}
	})
}

func TestPasswordFormRefusesSAMLUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		e.user(e.tenant.ID, "jane@contoso.example", "saml", nil)
		_, err := e.auth.SignIn(context.Background(), auth.SignInRequest{Login: "jane@contoso.example", Password: "Contoso#2026", IP: "192.0.2.1"})
		if !errors.Is(err, auth.ErrUseSSO) {
			t.Fatalf("password sign-in of a SAML user: %v", err)
		}
	})
}

func TestTwoStepRuleAfterSAML(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		yes := true
		e.user(e.tenant.ID, "jane@contoso.example", "saml", func(in *account.UserInput) { in.Require2FA = &yes })
		res, err := e.post(e.idp.signed("", assertion{nameID: "jane@contoso.example"}), "")
		if err != nil || res.SignedIn.Session.Stage != auth.StageEnroll {
			t.Fatalf("stage %q err %v, want enrolment owed", res.SignedIn.Session.Stage, err)
		}
		if _, err := e.sso.UpdateIdP(context.Background(), e.provider, e.reg.ID, sso.IdPInput{EnforcesMFA: &yes}); err != nil {
			t.Fatal(err)
		}
		res, err = e.post(e.idp.signed("", assertion{nameID: "jane@contoso.example"}), "")
		if err != nil || res.SignedIn.Session.Stage != auth.StageOK {
			t.Fatalf("stage %q err %v, want the IdP's MFA to count", res.SignedIn.Session.Stage, err)
		}
	})
}

func TestCertificateRollover(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		e.user(e.tenant.ID, "jane@contoso.example", "saml", nil)
		next := newTestIdP(t, e, idpEntityID)
		if _, err := e.sso.UpdateIdP(context.Background(), e.provider, e.reg.ID, sso.IdPInput{Cert2: &next.certPEM}); err != nil {
			t.Fatal(err)
		}
		for name, idp := range map[string]*testIdP{"old key": e.idp, "new key": next} {
			if _, err := e.post(idp.signed("", assertion{nameID: "jane@contoso.example"}), ""); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		_, err := e.post(newTestIdP(t, e, idpEntityID).signed("", assertion{nameID: "jane@contoso.example"}), "")
		e.refusedAs(t, err, sso.RefusedSignature)
	})
}

func TestTestSignInShowsAttributes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		e.user(e.tenant.ID, "jane@contoso.example", "saml", nil)
		to, err := e.sso.TestLogin(context.Background(), e.provider, e.reg.ID)
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.post(e.idp.signed(to, assertion{nameID: "jane@contoso.example"}), "")
		if err != nil || res.Test == nil || res.SignedIn.Token != "" {
			t.Fatalf("test sign-in: %+v %v", res, err)
		}
		if res.Test.Login != "jane@contoso.example" || res.Test.NameID != "jane@contoso.example" || len(res.Test.Attributes) == 0 {
			t.Fatalf("test result %+v", res.Test)
		}
	})
}

// unsigned is the IdP's Response with neither the response nor the
// assertion signed.
func unsigned(t *testing.T, x *testIdP, a assertion) []byte {
	req := x.request("", a)
	resp := &saml.Response{Destination: req.ACSEndpoint.Location, ID: "id-unsigned", IssueInstant: req.Now, Version: "2.0",
		Issuer: &saml.Issuer{Value: x.idp.MetadataURL.String()}, Status: saml.Status{StatusCode: saml.StatusCode{Value: saml.StatusSuccess}}}
	el := resp.Element()
	el.AddChild(req.Assertion.Element())
	return elBytes(t, el)
}

func parse(t *testing.T, b []byte) *etree.Document {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		t.Fatal(err)
	}
	return doc
}

func write(t *testing.T, doc *etree.Document) []byte {
	t.Helper()
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// stripSignatures removes every ds:Signature.
func stripSignatures(t *testing.T, b []byte) []byte {
	doc := parse(t, b)
	for _, sig := range doc.FindElements("//Signature") {
		sig.Parent().RemoveChild(sig)
	}
	return write(t, doc)
}

func replaceText(t *testing.T, b []byte, from, to string) []byte {
	return []byte(strings.ReplaceAll(string(b), from, to))
}

// wrapped is a signature-wrapping attack: the Response's own signature is
// dropped, the IdP's signed assertion for jane is kept (inside==false: as
// a later sibling; true: moved inside the evil assertion) and an unsigned
// assertion for the boss is inserted where an SP would look first.
func wrapped(t *testing.T, x *testIdP, a assertion, inside bool) []byte {
	doc := parse(t, x.signed("", a))
	root := doc.Root()
	if sig := root.SelectElement("Signature"); sig != nil {
		root.RemoveChild(sig)
	}
	signed := root.SelectElement("Assertion")
	evil := signed.Copy()
	evil.CreateAttr("ID", "id-evil")
	if s := evil.SelectElement("Signature"); s != nil {
		evil.RemoveChild(s)
	}
	for _, n := range evil.FindElements("//NameID") {
		n.SetText("boss@contoso.example")
	}
	root.RemoveChild(signed)
	if inside {
		evil.AddChild(signed)
		root.AddChild(evil)
	} else {
		root.AddChild(evil)
		root.AddChild(signed)
	}
	return write(t, doc)
}

// The SP metadata offers an encryption key; an IdP that uses it is
// understood (crewjam's IdP encrypts whenever the metadata has one).
func TestEncryptedAssertion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		u := e.user(e.tenant.ID, "jane@contoso.example", "saml", nil)
		md, err := e.sso.Metadata()
		if err != nil {
			t.Fatal(err)
		}
		if e.idp.spMD, err = samlsp.ParseMetadata(md); err != nil {
			t.Fatal(err)
		}
		resp := e.idp.signed("", assertion{nameID: "jane@contoso.example"})
		if !strings.Contains(string(resp), "EncryptedAssertion") {
			t.Fatal("the IdP did not encrypt")
		}
		res, err := e.post(resp, "")
		if err != nil || res.SignedIn.User.ID != u.ID {
			t.Fatalf("encrypted assertion: %v", err)
		}
	})
}
