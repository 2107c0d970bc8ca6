package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"
)

// SAMLIdP is a SAML 2.0 identity provider the provider admin registered:
// for the whole provider (TenantID "") or for one tenant. Its users sign
// in to callrec through it; Cert1 and Cert2 (PEM) are the signing
// certificates accepted, two at once while the IdP rolls its key over.
type SAMLIdP struct {
	ID          string    `json:"id"`
	TenantID    string    `json:"tenant_id"`
	Name        string    `json:"name"`
	EntityID    string    `json:"entity_id"`
	MetadataURL string    `json:"metadata_url"`
	MetadataXML string    `json:"metadata_xml"`
	SSOURL      string    `json:"sso_url"`
	SLOURL      string    `json:"slo_url"`
	Cert1       string    `json:"cert1"`
	Cert2       string    `json:"cert2"`
	MatchAttr   string    `json:"match_attribute"`
	EnforcesMFA bool      `json:"enforces_mfa"`
	Enabled     bool      `json:"enabled"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

const samlIdPCols = `id, tenant_id, name, entity_id, metadata_url, metadata_xml, sso_url, slo_url, cert1, cert2,
	match_attribute, enforces_mfa, enabled, created_at, updated_at`

func scanSAMLIdP(s interface{ Scan(...any) error }) (SAMLIdP, error) {
	var x SAMLIdP
	var tenant sql.NullString
	err := s.Scan(&x.ID, &tenant, &x.Name, &x.EntityID, &x.MetadataURL, &x.MetadataXML, &x.SSOURL, &x.SLOURL,
		&x.Cert1, &x.Cert2, &x.MatchAttr, &x.EnforcesMFA, &x.Enabled, &x.CreatedAt, &x.UpdatedAt)
	x.TenantID = tenant.String
	return x, mapErr(err)
}

// InsertSAMLIdP stores a new identity provider; an entity ID already
// registered is ErrConflict.
func (q Q) InsertSAMLIdP(ctx context.Context, x SAMLIdP) error {
	_, err := q.exec(ctx, `INSERT INTO saml_idps (`+samlIdPCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		x.ID, nullable(x.TenantID), x.Name, x.EntityID, x.MetadataURL, x.MetadataXML, x.SSOURL, x.SLOURL, x.Cert1, x.Cert2,
		x.MatchAttr, x.EnforcesMFA, x.Enabled, x.CreatedAt, x.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store: insert saml idp: %w", err)
	}
	return nil
}

// UpdateSAMLIdP writes every editable field of an identity provider.
func (q Q) UpdateSAMLIdP(ctx context.Context, x SAMLIdP) error {
	err := affectedOne(q.exec(ctx, `UPDATE saml_idps SET tenant_id = ?, name = ?, entity_id = ?, metadata_url = ?, metadata_xml = ?,
		sso_url = ?, slo_url = ?, cert1 = ?, cert2 = ?, match_attribute = ?, enforces_mfa = ?, enabled = ?, updated_at = ? WHERE id = ?`,
		nullable(x.TenantID), x.Name, x.EntityID, x.MetadataURL, x.MetadataXML, x.SSOURL, x.SLOURL, x.Cert1, x.Cert2,
		x.MatchAttr, x.EnforcesMFA, x.Enabled, x.UpdatedAt, x.ID))
	if err != nil {
		return fmt.Errorf("store: update saml idp: %w", err)
	}
	return nil
}

// GetSAMLIdP returns one identity provider. IdPs belong to the provider
// (the provider admin manages all of them), so the id alone selects it.
func (q Q) GetSAMLIdP(ctx context.Context, id string) (SAMLIdP, error) {
	x, err := scanSAMLIdP(q.row(ctx, `SELECT `+samlIdPCols+` FROM saml_idps WHERE id = ?`, id))
	if err != nil {
		return x, fmt.Errorf("store: get saml idp: %w", err)
	}
	return x, nil
}

// GetSAMLIdPByEntityID finds the identity provider that issued a message.
func (q Q) GetSAMLIdPByEntityID(ctx context.Context, entityID string) (SAMLIdP, error) {
	x, err := scanSAMLIdP(q.row(ctx, `SELECT `+samlIdPCols+` FROM saml_idps WHERE entity_id = ?`, entityID))
	if err != nil {
		return x, fmt.Errorf("store: get saml idp by entity id: %w", err)
	}
	return x, nil
}

// DeleteSAMLIdP removes an identity provider.
func (q Q) DeleteSAMLIdP(ctx context.Context, id string) error {
	if err := affectedOne(q.exec(ctx, `DELETE FROM saml_idps WHERE id = ?`, id)); err != nil {
		return fmt.Errorf("store: delete saml idp: %w", err)
	}
	return nil
}

// ListSAMLIdPs lists every identity provider by name.
func (q Q) ListSAMLIdPs(ctx context.Context) ([]SAMLIdP, error) {
	rows, err := q.query(ctx, `SELECT `+samlIdPCols+` FROM saml_idps ORDER BY lower(name), id`)
	if err != nil {
		return nil, fmt.Errorf("store: list saml idps: %w", err)
	}
	defer rows.Close()
	var out []SAMLIdP
	for rows.Next() {
		x, err := scanSAMLIdP(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list saml idps: %w", err)
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// SAMLRequest is an AuthnRequest callrec sent and awaits an answer to.
type SAMLRequest struct {
	ID        string
	IdPID     string
	Relay     string
	Test      bool // a provider admin's Test sign-in: show attributes, sign no one in
	CreatedAt time.Time
	ExpiresAt time.Time
}

// InsertSAMLRequest remembers an AuthnRequest until it expires; requests
// that expired unanswered are dropped first.
func (q Q) InsertSAMLRequest(ctx context.Context, r SAMLRequest) error {
	if _, err := q.exec(ctx, `DELETE FROM saml_requests WHERE expires_at < ?`, q.Now()); err != nil {
		return fmt.Errorf("store: expire saml requests: %w", err)
	}
	_, err := q.exec(ctx, `INSERT INTO saml_requests (id, idp_id, relay, test_mode, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		r.ID, r.IdPID, r.Relay, r.Test, r.CreatedAt, r.ExpiresAt)
	if err != nil {
		return fmt.Errorf("store: insert saml request: %w", err)
	}
	return nil
}

// TakeSAMLRequest returns an unexpired request of the IdP and forgets it,
// so that a response answers it once; otherwise ErrNotFound.
func (q Q) TakeSAMLRequest(ctx context.Context, idpID, id string) (SAMLRequest, error) {
	var r SAMLRequest
	err := q.row(ctx, `SELECT id, idp_id, relay, test_mode, created_at, expires_at FROM saml_requests
		WHERE id = ? AND idp_id = ? AND expires_at > ?`, id, idpID, q.Now()).
		Scan(&r.ID, &r.IdPID, &r.Relay, &r.Test, &r.CreatedAt, &r.ExpiresAt)
	if err != nil {
		return r, fmt.Errorf("store: take saml request: %w", mapErr(err))
	}
	if err := affectedOne(q.exec(ctx, `DELETE FROM saml_requests WHERE id = ?`, id)); err != nil {
		return r, fmt.Errorf("store: take saml request: %w", err)
	}
	return r, nil
}

// ConsumeSAMLID records a message ID as used until expires; an ID already
// recorded is ErrConflict (a replay). Expired records are dropped first.
func (q Q) ConsumeSAMLID(ctx context.Context, id string, expires time.Time) error {
	if _, err := q.exec(ctx, `DELETE FROM saml_seen_ids WHERE expires_at < ?`, q.Now()); err != nil {
		return fmt.Errorf("store: expire saml ids: %w", err)
	}
	if _, err := q.exec(ctx, `INSERT INTO saml_seen_ids (id, expires_at) VALUES (?, ?)`, id, expires.UTC()); err != nil {
		return fmt.Errorf("store: consume saml id: %w", err)
	}
	return nil
}

// DeleteSAMLSessions ends the sessions a SAML sign-in of the IdP started
// for a NameID (and one of the SessionIndexes, when given): what an IdP's
// LogoutRequest ends. It returns the sessions it ended.
func (q Q) DeleteSAMLSessions(ctx context.Context, idpID, nameID string, sessionIndexes []string) ([]Session, error) {
	rows, err := q.query(ctx, `SELECT id_hash, user_id, saml_session_index FROM sessions WHERE saml_idp_id = ? AND saml_name_id = ?`, idpID, nameID)
	if err != nil {
		return nil, fmt.Errorf("store: saml sessions: %w", err)
	}
	var found []Session
	for rows.Next() {
		var s Session
		if err := rows.Scan(&s.IDHash, &s.UserID, &s.SAML.SessionIndex); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: saml sessions: %w", err)
		}
		found = append(found, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []Session
	for _, s := range found {
		if len(sessionIndexes) > 0 && !slices.Contains(sessionIndexes, s.SAML.SessionIndex) {
			continue
		}
		if err := q.DeleteSession(ctx, s.IDHash); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// SAMLTenants lists the tenants (ids) with an enabled IdP of their own;
// all reports whether an enabled provider-wide IdP serves every tenant.
func (q Q) SAMLTenants(ctx context.Context) (ids map[string]bool, all bool, err error) {
	rows, err := q.query(ctx, `SELECT COALESCE(tenant_id, '') FROM saml_idps WHERE enabled = ?`, true)
	if err != nil {
		return nil, false, fmt.Errorf("store: saml tenants: %w", err)
	}
	defer rows.Close()
	ids = map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, false, err
		}
		if id == "" {
			all = true
		} else {
			ids[id] = true
		}
	}
	return ids, all, rows.Err()
}

// SAMLSPKey is callrec's own SAML signing key: the private key sealed
// (PKCS#8 PEM, sealed when the installation has a secret box) and its
// self-signed certificate (PEM).
type SAMLSPKey struct {
	KeySealed string
	CertPEM   string
	CreatedAt time.Time
}

// GetSAMLSPKey returns the SP key, or ErrNotFound before the first one.
func (q Q) GetSAMLSPKey(ctx context.Context) (SAMLSPKey, error) {
	var k SAMLSPKey
	err := q.row(ctx, `SELECT key_sealed, cert_pem, created_at FROM saml_sp_keys WHERE id = 'sp'`).Scan(&k.KeySealed, &k.CertPEM, &k.CreatedAt)
	if err != nil {
		return k, fmt.Errorf("store: get saml sp key: %w", mapErr(err))
	}
	return k, nil
}

// InsertSAMLSPKey stores the SP key; ErrConflict when another node stored
// one first (the caller then reads that one).
func (q Q) InsertSAMLSPKey(ctx context.Context, k SAMLSPKey) error {
	_, err := q.exec(ctx, `INSERT INTO saml_sp_keys (id, key_sealed, cert_pem, created_at) VALUES ('sp', ?, ?, ?)`, k.KeySealed, k.CertPEM, k.CreatedAt)
	if err != nil {
		return fmt.Errorf("store: insert saml sp key: %w", err)
	}
	return nil
}
