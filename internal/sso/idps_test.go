package sso_test

import (
	"context"
	"encoding/xml"
	"errors"
	"net/url"
	"testing"

	"callrec/internal/account"
	"callrec/internal/caller"
	"callrec/internal/roles"
	"callrec/internal/sso"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
	"callrec/internal/validate"
)

func TestRegisterFromMetadata(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		if err := e.sso.DeleteIdP(context.Background(), e.provider, e.reg.ID); err != nil {
			t.Fatal(err)
		}
		e.user(e.tenant.ID, "jane@contoso.example", "saml", nil)
		ssoURL, _ := url.Parse("https://idp.test/sso")
		sloURL, _ := url.Parse(idpSLO)
		e.idp.idp.SSOURL, e.idp.idp.LogoutURL = *ssoURL, *sloURL
		md, err := xml.Marshal(e.idp.idp.Metadata())
		if err != nil {
			t.Fatal(err)
		}
		x, err := e.sso.RegisterFromMetadata(context.Background(), md, e.tenant.ID, "Provider portal")
		if err != nil {
			t.Fatal(err)
		}
		if x.EntityID != idpEntityID || x.SSOURL != "https://idp.test/sso" || x.SLOURL != idpSLO || x.Cert1 == "" || !x.Enabled || x.MatchAttr != sso.MatchNameID {
			t.Fatalf("registered %+v", x)
		}
		again, err := e.sso.RegisterFromMetadata(context.Background(), md, e.tenant.ID, "Provider portal")
		if err != nil || again.ID != x.ID {
			t.Fatalf("second registration: %v (id %s, want %s)", err, again.ID, x.ID)
		}
		if _, err := e.post(e.idp.signed("", assertion{nameID: "jane@contoso.example"}), ""); err != nil {
			t.Fatalf("sign-in through the registered IdP: %v", err)
		}
		var verrs validate.Errors
		if _, err := e.sso.RegisterFromMetadata(context.Background(), []byte("<nope/>"), "", "x"); !errors.As(err, &verrs) {
			t.Fatalf("bad metadata: %v", err)
		}
	})
}

func TestOnlyProviderAdminsManageIdPs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tenantAdmin := &caller.Caller{User: store.User{ID: "u", TenantID: e.tenant.ID, Role: roles.Admin}, TenantID: e.tenant.ID}
		if _, err := e.sso.ListIdPs(context.Background(), tenantAdmin); !errors.Is(err, account.ErrForbidden) {
			t.Fatalf("tenant admin lists IdPs: %v", err)
		}
		name := "x"
		if _, err := e.sso.UpdateIdP(context.Background(), tenantAdmin, e.reg.ID, sso.IdPInput{Name: &name}); !errors.Is(err, account.ErrForbidden) {
			t.Fatalf("tenant admin edits an IdP: %v", err)
		}
		if _, err := e.sso.TestLogin(context.Background(), tenantAdmin, e.reg.ID); !errors.Is(err, account.ErrForbidden) {
			t.Fatalf("tenant admin starts a Test sign-in: %v", err)
		}
	})
}
