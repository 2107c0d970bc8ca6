package cli

import (
	"context"
	"net/http"
	"time"

	"callrec/internal/recorder"
	"callrec/internal/recordings"
	"callrec/internal/teams"
	"callrec/internal/teamsbot"
)

// teamsBot is the Teams recording bot, or nil when this process does not
// run the teamsbot role or no Microsoft app is configured.
func (a *app) teamsBot() *teamsbot.Bot {
	if a.bot != nil || a.cfg.MSClientID == "" || !a.cfg.HasRole("teamsbot") {
		return a.bot
	}
	ep := teams.Endpoints{LoginURL: a.cfg.MSLoginURL, GraphURL: a.cfg.MSGraphURL, TeamsAdminURL: a.cfg.MSTeamsAdminURL,
		ClientID: a.cfg.MSClientID, ClientSecret: a.cfg.MSClientSecret}
	a.bot = teamsbot.New(a.db, a.accounts, teamsbot.Options{Endpoints: ep, OpenIDURL: a.cfg.MSBotOpenIDURL,
		WebhookURL: a.cfg.PublicURL + "/api/teams/calling", Media: teamsbot.SIPRECMedia{Target: a.cfg.SIPRECTarget},
		Bus: a.eventBus(), Log: a.log})
	return a.bot
}

// botHandler is the calling webhook, or nil.
func (a *app) botHandler() http.Handler {
	if b := a.teamsBot(); b != nil {
		return b
	}
	return nil
}

// startTeamsBot runs the bot's keep-alive loop until ctx ends.
func (a *app) startTeamsBot(ctx context.Context) {
	if b := a.teamsBot(); b != nil {
		go a.guard.Loop(ctx, "teamsbot keep-alive", func(ctx context.Context) { b.KeepAlive(ctx, time.Minute) })
		a.log.Info("Teams recording bot listening", "webhook", a.cfg.PublicURL+"/api/teams/calling", "siprec_target", a.cfg.SIPRECTarget)
	}
}

// teamsAdmit lets the recorder ask the bot about media-edge sessions.
func (a *app) teamsAdmit() func(ctx context.Context, correlation string) (recorder.Admission, error) {
	if a.cfg.MSClientID == "" {
		return nil
	}
	gate := &teamsbot.Gate{DB: a.db}
	return func(ctx context.Context, correlation string) (recorder.Admission, error) {
		ad, err := gate.Admit(ctx, correlation)
		return recorder.Admission(ad), err
	}
}

// pauseControl is what acts on a live call when its recording is paused or
// resumed. The Teams bot goes first: Teams must hear notRecording before
// audio stops being kept, and recording before it is kept again.
func (a *app) pauseControl() recordings.Controller {
	var cs recordings.Controllers
	if b := a.teamsBot(); b != nil {
		cs = append(cs, b)
	}
	if a.rec != nil {
		cs = append(cs, a.rec) // silences this node's calls at once; others follow the pause rows
	}
	if len(cs) == 0 {
		return nil
	}
	return cs
}
