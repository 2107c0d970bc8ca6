package teamsbot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"callrec/internal/account"
	"callrec/internal/store"
	"callrec/internal/teams"
	"callrec/internal/validate"
)

// autoLicenses are what a Teams user gets at first sight, as the guide's
// provisioning does: Call Recording and Live Monitoring, speech analytics
// type Advanced preselected.
var autoLicenses = []string{"call_recording", "live_monitoring"}

// botActor names the bot in the audit log.
var botActor = account.Actor{Login: "teams-bot"}

// ensureUser returns the callrec user whose extension is the Teams user id,
// creating them from Graph on their first call. Unlike the product in the
// guide, whose first call "will fail to record", the first call is
// recorded: the user exists before the bot decides. note explains a
// license shortfall that stops recording.
func (b *Bot) ensureUser(ctx context.Context, tenantID, tid, aadID string) (store.User, string, error) {
	q := b.db.Q()
	if id, err := q.ExtensionOwner(ctx, tenantID, aadID); err == nil {
		u, err := q.GetUser(ctx, tenantID, id)
		return u, "", err
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.User{}, "", err
	}
	tok, err := b.tokens.Get(ctx, tid)
	if err != nil {
		return store.User{}, "", fmt.Errorf("teamsbot: app token: %w", err)
	}
	gu, err := teams.NewGraph(b.o.Endpoints, b.o.HTTP, tok).GetUser(ctx, aadID)
	if err != nil {
		return store.User{}, "", fmt.Errorf("teamsbot: read Teams user %s: %w", aadID, err)
	}
	name, role, speech := strings.TrimSpace(gu.DisplayName), "user", "advanced"
	if name == "" {
		name = gu.UserPrincipalName
	}
	exts := []string{aadID}
	in := account.UserInput{Name: &name, Role: &role, Extensions: &exts, SpeechAnalyticsType: &speech}
	if validate.Email(gu.UserPrincipalName) {
		in.Email = &gu.UserPrincipalName
	}
	u, err := b.accounts.CreateUser(ctx, botActor, tenantID, in)
	var verrs validate.Errors
	if errors.As(err, &verrs) && verrs["extensions"] != "" {
		// Another leg of the same call provisioned the user meanwhile.
		id, lerr := q.ExtensionOwner(ctx, tenantID, aadID)
		if lerr != nil {
			return store.User{}, "", err
		}
		u, err = q.GetUser(ctx, tenantID, id)
		return u, "", err
	}
	if err != nil {
		return store.User{}, "", fmt.Errorf("teamsbot: provision %s: %w", gu.UserPrincipalName, err)
	}
	return b.grantAutoLicenses(ctx, u)
}

// grantAutoLicenses gives the auto-provisioning licenses one by one; an
// exhausted pool leaves that license out and raises an alert for the admin.
func (b *Bot) grantAutoLicenses(ctx context.Context, u store.User) (store.User, string, error) {
	var have, missing []string
	for _, lt := range autoLicenses {
		want := append(append([]string(nil), have...), lt)
		nu, err := b.accounts.UpdateUser(ctx, botActor, u.TenantID, u.ID, account.UserInput{Licenses: &want})
		if errors.Is(err, account.ErrLicenseExhausted) {
			missing = append(missing, lt)
			continue
		}
		if err != nil {
			return u, "", err
		}
		u, have = nu, want
	}
	if len(missing) == 0 {
		return u, "", nil
	}
	msg := fmt.Sprintf("%s joined from Microsoft Teams, but the license pool has no %s left: add licenses, then assign them in the user's profile.",
		u.Name, strings.ReplaceAll(strings.Join(missing, " or "), "_", " "))
	err := b.db.Q().InsertAlert(ctx, store.Alert{ID: account.NewID(), TenantID: u.TenantID, Kind: "license_exhausted", Message: msg, CreatedAt: b.stamp()})
	note := ""
	for _, m := range missing {
		if m == "call_recording" {
			note = "no call recording license was left in the tenant's pool when the user was provisioned"
		}
	}
	return u, note, err
}
