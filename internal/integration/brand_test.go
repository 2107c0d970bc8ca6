package integration_test

import (
	"context"
	"testing"

	"callrec/internal/account"
	"callrec/internal/brand"
	"callrec/internal/caller"
	"callrec/internal/integration"
	"callrec/internal/roles"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// TestStep3DefaultsFollowTheBrand: a setup started after the provider set
// a brand proposes the brand's application and policy names.
func TestStep3DefaultsFollowTheBrand(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		ctx := context.Background()
		brands := brand.New(w.db, w.clock.Now)
		prov := &caller.Caller{User: store.User{ID: "p", Login: "provider", Role: roles.ProviderAdmin}}
		if _, err := brands.Set(ctx, prov, brand.Input{ProductName: "Acme Voice", MSAppUPN: "acme-rec"}); err != nil {
			t.Fatal(err)
		}
		svc := integration.New(w.db, w.accounts, integration.Options{Endpoints: w.ep, Box: w.box, Now: w.clock.Now, Brand: brands})
		v, err := svc.Create(ctx, account.System, w.tenantID, integration.ModePowerShell)
		if err != nil {
			t.Fatal(err)
		}
		c := v.Config
		if c.AppName != "Acme Voice" || c.AppUPNLocal != "acme-rec" || c.PolicyName != "AcmeVoiceRecordingPolicy" {
			t.Fatalf("Step 3 defaults %+v", c)
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("branded defaults do not validate: %v", err)
		}
	})
}
