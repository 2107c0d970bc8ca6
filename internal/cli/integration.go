package cli

import (
	"context"
	"net/url"
	"strings"
	"time"

	"callrec/internal/api"
	"callrec/internal/integration"
	"callrec/internal/teams"
)

// integrations is the Teams integration service, or nil when callrec has no
// Microsoft app registration configured (CALLREC_MS_CLIENT_ID/SECRET): the
// portal then says so instead of offering a wizard that cannot work.
func (a *app) integrations() *integration.Service {
	if a.integ != nil || a.cfg.MSClientID == "" {
		return a.integ
	}
	ep := teams.Endpoints{LoginURL: a.cfg.MSLoginURL, GraphURL: a.cfg.MSGraphURL, TeamsAdminURL: a.cfg.MSTeamsAdminURL,
		ClientID: a.cfg.MSClientID, ClientSecret: a.cfg.MSClientSecret,
		RedirectURL: strings.TrimRight(a.cfg.PublicURL, "/") + api.CallbackPath}
	a.integ = integration.New(a.db, a.accounts, integration.Options{Endpoints: ep, Box: a.box, Bus: a.eventBus(), Log: a.log, Guard: a.guard, Brand: a.brand})
	return a.integ
}

// startWorker runs durable jobs (Teams provisioning) until ctx ends.
func (a *app) startWorker(ctx context.Context) {
	a.startRecordingJobs(ctx)
	a.startEncodeWorker(ctx)
	if svc := a.integrations(); svc != nil {
		go svc.Work(ctx, 2*time.Second)
		go svc.SyncPhoneNumbersEvery(ctx, integration.PhoneSyncInterval)
		a.log.Info("worker running Teams integration jobs and the Teams phone number sync")
	}
}

// signInOrigins is Microsoft's sign-in origin when the Teams integration is
// on: the wizard's forms redirect there.
func (a *app) signInOrigins() []string {
	if a.integrations() == nil {
		return nil
	}
	u, err := url.Parse(a.cfg.MSLoginURL)
	if err != nil || u.Host == "" {
		return nil
	}
	return []string{u.Scheme + "://" + u.Host}
}
