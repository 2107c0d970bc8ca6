-- SAML 2.0 single sign-on (issue #17): identity providers the provider
-- admin registers for the whole provider (tenant_id NULL) or one tenant.
-- Up to two signing certificates are kept so an IdP can roll its key over
-- without a window in which sign-in fails.
CREATE TABLE saml_idps (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT REFERENCES tenants (id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    entity_id        TEXT NOT NULL UNIQUE,
    metadata_url     TEXT NOT NULL DEFAULT '',
    metadata_xml     TEXT NOT NULL DEFAULT '',
    sso_url          TEXT NOT NULL DEFAULT '',
    slo_url          TEXT NOT NULL DEFAULT '',
    cert1            TEXT NOT NULL DEFAULT '',
    cert2            TEXT NOT NULL DEFAULT '',
    match_attribute  TEXT NOT NULL DEFAULT 'nameid',
    enforces_mfa     BOOLEAN NOT NULL DEFAULT FALSE,
    enabled          BOOLEAN NOT NULL DEFAULT TRUE,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX saml_idps_tenant ON saml_idps (tenant_id);

-- AuthnRequests callrec sent (SP-initiated sign-in): the ACS accepts an
-- InResponseTo only if it names one of these, once. In the database so
-- that any web node can receive the response.
CREATE TABLE saml_requests (
    id          TEXT PRIMARY KEY,
    idp_id      TEXT NOT NULL REFERENCES saml_idps (id) ON DELETE CASCADE,
    relay       TEXT NOT NULL DEFAULT '',
    test_mode   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL
);

-- Assertion (and LogoutRequest) IDs already accepted, kept until the
-- message would have expired anyway: a replay is refused on every node.
CREATE TABLE saml_seen_ids (
    id          TEXT PRIMARY KEY,
    expires_at  TIMESTAMP NOT NULL
);
CREATE INDEX saml_seen_ids_expiry ON saml_seen_ids (expires_at);

-- A session started by SAML remembers its IdP, NameID and SessionIndex so
-- that Single Logout can end it from either side.
ALTER TABLE sessions ADD COLUMN saml_idp_id TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN saml_name_id TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN saml_session_index TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_saml ON sessions (saml_idp_id, saml_name_id);

-- callrec's own SP signing key (one row): it signs AuthnRequests, logout
-- messages and the SP metadata. Shared by every node through the
-- database; the private key is sealed with the installation's secret box.
CREATE TABLE saml_sp_keys (
    id          TEXT PRIMARY KEY,
    key_sealed  TEXT NOT NULL,
    cert_pem    TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
