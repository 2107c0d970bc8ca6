package teamsbot

import (
	"context"
	"time"

	"callrec/internal/clock"
	"callrec/internal/teams"
)

// keepAliveEvery is how often a live leg is kept alive; Teams ends a bot
// leg that has been silent for 45 minutes.
const keepAliveEvery = 10 * time.Minute

// KeepAlive sends keepAlive for every live leg due one, until ctx ends.
func (b *Bot) KeepAlive(ctx context.Context, tick time.Duration) {
	clock.Every(ctx, tick, func() { b.KeepAliveOnce(ctx) })
}

// KeepAliveOnce keeps alive the legs whose last keepAlive is due.
func (b *Bot) KeepAliveOnce(ctx context.Context) {
	legs, err := b.db.Q().TeamsCallsNeedingKeepAlive(ctx, b.stamp().Add(-keepAliveEvery))
	if err != nil {
		b.o.Log.Error("teamsbot: keep-alive scan", "err", err)
		return
	}
	for _, leg := range legs {
		i, err := b.db.Q().GetIntegration(ctx, leg.TenantID, "teams")
		if err != nil {
			continue
		}
		c, err := b.calls(ctx, i.OrgID)
		if err == nil {
			err = c.KeepAlive(ctx, leg.GraphCallID)
		}
		if teams.IsNotFound(err) {
			_ = b.setStatus(ctx, leg, "terminated") // the call ended without telling us
			continue
		}
		if err != nil {
			b.o.Log.Warn("teamsbot: keepAlive", "call", leg.GraphCallID, "err", err)
			continue
		}
		_ = b.db.Q().TouchTeamsCallKeepAlive(ctx, leg.TenantID, leg.GraphCallID, b.stamp())
	}
}
