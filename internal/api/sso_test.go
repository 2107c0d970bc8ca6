package api_test

import (
	"context"
	"net/http"
	"testing"

	"callrec/internal/account"
	"callrec/internal/store/storetest"
)

// A SAML 2.0 user has no password sign-in, through the API either.
func TestPasswordSignInOfSAMLUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		saml := "saml"
		u := e.users["A:admin"]
		if _, err := e.accounts.UpdateUser(context.Background(), account.System, u.TenantID, u.ID, account.UserInput{AuthType: &saml}); err != nil {
			t.Fatal(err)
		}
		_, res := e.sessionClient(u.Login, testPassword, "")
		if res.status != http.StatusForbidden || res.errCode() != "sso_required" {
			t.Fatalf("status %d code %q, want 403 sso_required", res.status, res.errCode())
		}
	})
}
