package integration

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"callrec/internal/account"
	"callrec/internal/clock"
	"callrec/internal/store"
	"callrec/internal/teams"
)

// PhoneSyncInterval is how often the Teams phone numbers are read again.
const PhoneSyncInterval = 15 * time.Minute

// PhoneSync is the outcome of one tenant's phone number sync.
type PhoneSync struct {
	Users   int      `json:"users"`   // callrec users with a Teams id who were visited
	Added   int      `json:"added"`   // numbers added as extensions
	Removed int      `json:"removed"` // synced numbers no longer assigned
	Skipped []string `json:"skipped"` // numbers already another extension
}

// SyncPhoneNumbers keeps each recorded Teams user's phone numbers among
// their extensions, so that a call the provider's SBC forks over SIPREC
// (Direct Routing, Operator Connect) is attributed to the Teams user. The
// numbers come from Graph's Teams user configurations; a callrec user is
// the Teams user whose id is one of their extensions (as the bot
// provisions them). Users Microsoft does not list are left as they are.
func (s *Service) SyncPhoneNumbers(ctx context.Context, tenantID string) (PhoneSync, error) {
	var out PhoneSync
	i, err := s.load(ctx, s.db.Q(), tenantID)
	if err != nil {
		return out, err
	}
	if i.Status != StatusConnected {
		return out, ErrWrongState
	}
	tok, err := s.accessToken(ctx, &i, teams.GraphScope)
	if err != nil {
		return out, err
	}
	numbers, err := teams.NewGraph(s.ep, s.hc, tok).TeamsPhoneNumbers(ctx)
	if err != nil {
		return out, fmt.Errorf("integration: Teams phone numbers: %w", err)
	}
	err = s.db.InTx(ctx, func(q store.Q) error {
		for aadID, list := range numbers {
			userID, err := q.ExtensionOwner(ctx, tenantID, aadID)
			if errors.Is(err, store.ErrNotFound) {
				continue // not recorded yet: provisioned at their first call
			} else if err != nil {
				return err
			}
			out.Users++
			add, rm, skipped, err := q.SyncTeamsExtensions(ctx, tenantID, userID, normalizeNumbers(list))
			if err != nil {
				return err
			}
			out.Added, out.Removed, out.Skipped = out.Added+add, out.Removed+rm, append(out.Skipped, skipped...)
		}
		if out.Added+out.Removed == 0 {
			return nil
		}
		return s.audit(ctx, q, account.System, i, "phone_numbers.sync", out)
	})
	return out, err
}

// normalizeNumbers writes numbers as E.164 ("+15551234567"), the form the
// recorder matches SIPREC participants against; "tel:" prefixes and
// extensions (";ext=") are dropped.
func normalizeNumbers(in []string) []string {
	var out []string
	for _, n := range in {
		n = strings.TrimPrefix(strings.TrimSpace(n), "tel:")
		n, _, _ = strings.Cut(n, ";")
		digits := strings.Map(func(r rune) rune {
			if unicode.IsDigit(r) {
				return r
			}
			return -1
		}, n)
		if len(digits) >= 3 {
			out = append(out, "+"+digits)
		}
	}
	return out
}

// SyncPhoneNumbersEvery syncs every connected tenant each interval until
// ctx ends; one tenant's failure is logged and does not stop the others.
func (s *Service) SyncPhoneNumbersEvery(ctx context.Context, interval time.Duration) {
	clock.Every(ctx, interval, func() {
		s.guard.Handle("worker teams phone numbers", func() {
			list, err := s.db.Q().ConnectedIntegrations(ctx, KindTeams, StatusConnected)
			if err != nil {
				s.log.Error("integration: phone number sync", "err", err)
				return
			}
			for _, i := range list {
				if res, err := s.SyncPhoneNumbers(ctx, i.TenantID); err != nil && ctx.Err() == nil {
					s.log.Warn("integration: phone number sync", "tenant", i.TenantID, "err", err)
				} else if res.Added+res.Removed > 0 {
					s.log.Info("integration: phone numbers synced", "tenant", i.TenantID, "added", res.Added, "removed", res.Removed)
				}
			}
		})
	})
}
