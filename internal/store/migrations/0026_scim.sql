-- SCIM 2.0 provisioning (RFC 7643/7644): per-tenant bearer tokens (hashed),
-- the provisioning client's externalId per user or group, and tombstones of
-- deleted users so a daily poller learns of deletions.

CREATE TABLE scim_tokens (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP
);
CREATE INDEX scim_tokens_tenant ON scim_tokens (tenant_id, created_at);

CREATE TABLE scim_external_ids (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    resource_id TEXT NOT NULL,
    external_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, resource_id)
);

CREATE TABLE user_tombstones (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL,
    login      TEXT NOT NULL DEFAULT '',
    deleted_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX user_tombstones_time ON user_tombstones (tenant_id, deleted_at);
