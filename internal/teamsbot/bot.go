// Package teamsbot is the control plane of callrec's compliance-recording
// bot: it receives Microsoft Graph calling notifications, verifies them,
// decides per user whether to record, answers within Teams' deadline with a
// media configuration naming callrec's recorder, reports the recording
// status, keeps calls alive, and admits the media edge's SIPREC session to
// the recorder only once Teams confirmed the recording status.
package teamsbot

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"callrec/internal/account"
	"callrec/internal/events"
	"callrec/internal/jwks"
	"callrec/internal/store"
	"callrec/internal/teams"
)

// DefaultOpenIDURL is where Microsoft publishes the notification signing keys.
const DefaultOpenIDURL = "https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration"

// Options configures a Bot.
type Options struct {
	Endpoints teams.Endpoints // Graph and login base URLs, the app's credentials
	OpenIDURL string          // Bot Framework OpenID configuration (DefaultOpenIDURL)
	// WebhookURL is the bot's public calling webhook; Teams sends each
	// call's later notifications there too (the answer's callbackUri).
	WebhookURL string
	Media      MediaPlatform
	Bus        events.Bus
	Log        *slog.Logger
	Now        func() time.Time
	HTTP       *http.Client
}

// Bot handles Teams compliance-recording calls.
type Bot struct {
	db       *store.DB
	accounts *account.Service
	o        Options
	verify   *verifier
	tokens   *teams.AppTokens
}

// New returns a Bot.
func New(db *store.DB, accounts *account.Service, o Options) *Bot {
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.OpenIDURL == "" {
		o.OpenIDURL = DefaultOpenIDURL
	}
	return &Bot{db: db, accounts: accounts, o: o,
		verify: &verifier{keys: jwks.New(jwks.FromOpenID(o.HTTP, o.OpenIDURL), o.Now), audience: o.Endpoints.ClientID, now: o.Now},
		tokens: teams.NewAppTokens(o.Endpoints, o.HTTP, o.Now)}
}

// maxNotification bounds a notification body: a roster of 1,500
// participants is about 1.6 MB; a larger body is refused with 413.
const maxNotification = 8 << 20

// ServeHTTP is the calling webhook: 401 without a valid token, 415 for a
// body that is not JSON, 413 above maxNotification, 400 when the body is
// not a commsNotifications object; otherwise each notification is handled
// on its own (one callrec cannot read is logged and skipped) and the answer
// is 202, or 200 with the participantJoiningResponse Teams expects when the
// batch carries a participantJoiningNotification. Incoming calls are
// answered before the response, well inside Teams' 5 s deadline.
func (b *Bot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	c, err := b.verify.verify(r.Context(), r.Header.Get("Authorization"))
	if err != nil {
		b.o.Log.Warn("teamsbot: notification refused", "err", err, "remote", r.RemoteAddr)
		http.Error(w, "invalid token", http.StatusUnauthorized)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		http.Error(w, "notifications are application/json", http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxNotification))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		http.Error(w, "notification too large", http.StatusRequestEntityTooLarge)
		return
	}
	var batch notificationBatch
	if err == nil {
		err = json.Unmarshal(body, &batch)
	}
	if err != nil {
		http.Error(w, "malformed notification", http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 4*time.Second)
	defer cancel()
	var joinAnswer any
	for i, raw := range batch.Value {
		n, err := decodeNotification(raw)
		if err != nil {
			b.o.Log.Warn("teamsbot: notification skipped", "item", i, "err", err)
			continue
		}
		if n.call.TenantID != "" && n.call.TenantID != c.TenantID {
			b.o.Log.Warn("teamsbot: notification for another tenant than its token", "token_tid", c.TenantID)
			continue
		}
		if n.kind == kindJoining {
			if joinAnswer != nil {
				b.o.Log.Warn("teamsbot: a second participantJoiningNotification in one batch: only the first is answered", "call", n.callID())
				continue
			}
			joinAnswer = b.joining(ctx, c.TenantID, n)
			continue
		}
		if err := b.handle(ctx, c.TenantID, n); err != nil {
			b.o.Log.Error("teamsbot: notification", "call", n.callID(), "change", n.ChangeType, "err", err)
		}
	}
	if joinAnswer != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(joinAnswer)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// handle dispatches one notification.
func (b *Bot) handle(ctx context.Context, tid string, n notification) error {
	d := n.call
	switch {
	case n.kind == kindRoster:
		b.o.Log.Debug("teamsbot: roster", "call", n.callID(), "change", n.ChangeType, "participants", len(n.roster))
		return nil
	case n.kind != kindCall:
		return nil
	case n.ChangeType == "created" && d.State == "incoming":
		return b.incoming(ctx, tid, n)
	case n.ChangeType == "deleted" || d.State == "terminated":
		return b.terminated(ctx, tid, n)
	case d.State == "established":
		return b.established(ctx, tid, n)
	}
	return nil // establishing and other updates need nothing
}

// tenantFor finds the callrec tenant whose Teams integration is connected
// to Microsoft tenant tid.
func (b *Bot) tenantFor(ctx context.Context, tid string) (store.Integration, error) {
	i, err := b.db.Q().IntegrationByOrgID(ctx, "teams", tid)
	if err != nil {
		return i, err
	}
	if i.Status != "connected" {
		return i, errNotConnected
	}
	return i, nil
}

var errNotConnected = errors.New("teamsbot: the tenant's Teams integration is not connected")

func (b *Bot) stamp() time.Time { return b.o.Now().UTC().Truncate(time.Microsecond) }

func (b *Bot) calls(ctx context.Context, tid string) (*teams.Calls, error) {
	tok, err := b.tokens.Get(ctx, tid)
	if err != nil {
		return nil, err
	}
	return teams.NewCalls(b.o.Endpoints, b.o.HTTP, tok), nil
}

func (b *Bot) publish(ctx context.Context, tenantID, kind string, c store.TeamsCall) {
	if b.o.Bus != nil {
		b.o.Bus.Publish(ctx, events.New(tenantID, kind, c, b.o.Now()))
	}
}
