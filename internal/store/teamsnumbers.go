package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// ExtensionSourceTeams marks an extension synced from the user's Teams
// phone numbers.
const ExtensionSourceTeams = "teams"

// SyncTeamsExtensions makes the user's Teams-synced extensions exactly
// numbers: synced ones no longer assigned are removed, new ones added. A
// number already held as an extension (typed by an admin, or another
// user's) is left alone and reported in skipped.
func (q Q) SyncTeamsExtensions(ctx context.Context, tenantID, userID string, numbers []string) (added, removed int, skipped []string, err error) {
	have, err := q.userStrings(ctx, `SELECT extension FROM user_extensions WHERE tenant_id = ? AND user_id = ? AND source = ?`, tenantID, userID, ExtensionSourceTeams)
	if err != nil {
		return 0, 0, nil, err
	}
	for _, e := range have {
		if slices.Contains(numbers, e) {
			continue
		}
		if _, err := q.exec(ctx, `DELETE FROM user_extensions WHERE tenant_id = ? AND user_id = ? AND extension = ? AND source = ?`, tenantID, userID, e, ExtensionSourceTeams); err != nil {
			return added, removed, skipped, fmt.Errorf("store: remove synced extension: %w", err)
		}
		removed++
	}
	for _, n := range numbers {
		if slices.Contains(have, n) {
			continue
		}
		_, err := q.ExtensionOwner(ctx, tenantID, n)
		switch {
		case err == nil:
			skipped = append(skipped, n)
			continue
		case !errors.Is(err, ErrNotFound):
			return added, removed, skipped, err
		}
		if _, err := q.exec(ctx, `INSERT INTO user_extensions (tenant_id, user_id, extension, source) VALUES (?, ?, ?, ?)`, tenantID, userID, n, ExtensionSourceTeams); err != nil {
			return added, removed, skipped, fmt.Errorf("store: synced extension %s: %w", n, err)
		}
		added++
	}
	return added, removed, skipped, nil
}

// ConnectedIntegrations lists every tenant's integration of a kind in a
// status, for system jobs that visit each tenant in turn.
func (q Q) ConnectedIntegrations(ctx context.Context, kind, status string) ([]Integration, error) {
	return q.integrations(ctx, "integrations by status", `SELECT `+integrationCols+` FROM integrations WHERE kind = ? AND status = ? ORDER BY tenant_id`, kind, status)
}
