package account

import (
	"context"
	"strings"

	"callrec/internal/auth"
	"callrec/internal/roles"
	"callrec/internal/store"
	"callrec/internal/validate"
)

// CreateToken issues an API bearer token for owner and audits it in the
// same transaction. It returns the raw token, shown once; only its hash is
// kept. The REST API and the portal both issue tokens through it.
func (s *Service) CreateToken(ctx context.Context, a Actor, owner store.User, name string) (string, store.APIToken, error) {
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > 100 {
		return "", store.APIToken{}, validate.Field("name", "required, at most 100 characters")
	}
	if !roles.Has(owner.Role, roles.APIAccess) {
		return "", store.APIToken{}, validate.Field("user_id", "the user's role has no API access")
	}
	raw := auth.RandomToken("cr_")
	t := store.APIToken{ID: NewID(), TenantID: owner.TenantID, UserID: owner.ID, Name: name, CreatedAt: s.stamp(), Hash: auth.HashToken(raw)}
	err := s.db.InTx(ctx, func(tx store.Q) error {
		if err := tx.InsertToken(ctx, t); err != nil {
			return err
		}
		return s.Audit(ctx, tx, a, owner.TenantID, "token.create", "token", t.ID, map[string]string{"name": t.Name, "user_id": t.UserID})
	})
	if err != nil {
		return "", store.APIToken{}, err
	}
	return raw, t, nil
}

// RevokeToken deletes a token of the tenant ("" for provider tokens) and
// audits it. With ownerOnly set, only that user's own token may be revoked;
// anyone else's answers ErrNotFound, as if it did not exist.
func (s *Service) RevokeToken(ctx context.Context, a Actor, tenantID, id, ownerOnly string) error {
	return s.db.InTx(ctx, func(tx store.Q) error {
		t, err := tx.GetToken(ctx, tenantID, id)
		if err != nil {
			return mapStore(err)
		}
		if ownerOnly != "" && t.UserID != ownerOnly {
			return ErrNotFound
		}
		if err := tx.DeleteToken(ctx, tenantID, t.ID); err != nil {
			return mapStore(err)
		}
		return s.Audit(ctx, tx, a, tenantID, "token.delete", "token", t.ID, map[string]string{"name": t.Name, "user_id": t.UserID})
	})
}

// Tokens lists the caller's own API tokens.
func (s *Service) Tokens(ctx context.Context, c *Caller) ([]store.APIToken, error) {
	if c == nil || !c.Can(roles.APIAccess) {
		return nil, ErrForbidden
	}
	return s.db.Q().ListTokens(ctx, c.User.TenantID, c.User.ID)
}

// ManagedTokens lists the tokens the caller may see and revoke: every
// token of the tenant for whoever manages its users, else their own.
func (s *Service) ManagedTokens(ctx context.Context, c *Caller) ([]store.APIToken, error) {
	if c == nil || !c.Can(roles.APIAccess) {
		return nil, ErrForbidden
	}
	owner := c.User.ID
	if c.Can(roles.UsersManage) {
		owner = ""
	}
	return s.db.Q().ListTokens(ctx, c.User.TenantID, owner)
}
