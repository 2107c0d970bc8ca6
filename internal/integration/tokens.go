package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"callrec/internal/store"
	"callrec/internal/teams"
	"callrec/internal/validate"
)

func validateField(field, why string) error { return validate.Field(field, why) }

// tokenSet is what is kept, encrypted, of the admin's sign-in.
type tokenSet struct {
	RefreshToken string      `json:"refresh_token"`
	Graph        teams.Token `json:"graph"`
	TeamsAdmin   teams.Token `json:"teams_admin"`
}

// sealContext binds sealed tokens to their row.
func sealContext(i store.Integration) string { return i.TenantID + "/" + i.ID }

func (s *Service) readTokens(i store.Integration) (tokenSet, error) {
	var ts tokenSet
	if i.TokensEnc == "" {
		return ts, fmt.Errorf("integration: not signed in to Microsoft: %w", ErrWrongState)
	}
	raw, err := s.box.Open(i.TokensEnc, sealContext(i))
	if err != nil {
		return ts, fmt.Errorf("integration: stored Microsoft tokens: %w", err)
	}
	return ts, json.Unmarshal(raw, &ts)
}

func (s *Service) writeTokens(i *store.Integration, ts tokenSet) error {
	raw, err := json.Marshal(ts)
	if err != nil {
		return err
	}
	i.TokensEnc = s.box.Seal(raw, sealContext(*i))
	return nil
}

// accessToken returns a valid access token for Graph or the Teams admin API,
// refreshing it (and saving the new tokens) when it has expired.
func (s *Service) accessToken(ctx context.Context, i *store.Integration, resource string) (string, error) {
	ts, err := s.readTokens(*i)
	if err != nil {
		return "", err
	}
	cur, scope := &ts.Graph, teams.GraphScope
	if resource == teams.TeamsAdminScope {
		cur, scope = &ts.TeamsAdmin, teams.TeamsAdminScope
	}
	if cur.AccessToken != "" && s.now().Add(2*time.Minute).Before(cur.Expiry) {
		return cur.AccessToken, nil
	}
	t, err := s.oauth.Refresh(ctx, i.OrgID, ts.RefreshToken, scope)
	if err != nil {
		return "", fmt.Errorf("integration: renew the Microsoft sign-in: %w", err)
	}
	*cur = t
	ts.RefreshToken = t.RefreshToken
	if err := s.writeTokens(i, ts); err != nil {
		return "", err
	}
	err = s.db.Q().UpdateIntegrationTokens(ctx, i.TenantID, i.ID, i.TokensEnc, s.stamp())
	return t.AccessToken, err
}

// clients returns Graph and Teams admin clients with fresh tokens.
func (s *Service) clients(ctx context.Context, i *store.Integration) (*teams.Graph, *teams.Admin, error) {
	g, err := s.accessToken(ctx, i, teams.GraphScope)
	if err != nil {
		return nil, nil, err
	}
	a, err := s.accessToken(ctx, i, teams.TeamsAdminScope)
	if err != nil {
		return nil, nil, err
	}
	return teams.NewGraph(s.ep, s.hc, g), teams.NewAdmin(s.ep, s.hc, a), nil
}
