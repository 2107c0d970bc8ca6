-- Foundation: provider, tenants, users, groups, licenses, sign-in state, audit.
-- One schema for SQLite and PostgreSQL: text ids, TIMESTAMP in UTC, BOOLEAN.

CREATE TABLE provider (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    terms_version INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE tenants (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    account_number TEXT,
    timezone       TEXT NOT NULL DEFAULT 'UTC',
    language       TEXT NOT NULL DEFAULT 'en',
    retention_days INTEGER NOT NULL DEFAULT 90,
    enforce_2fa    BOOLEAN NOT NULL DEFAULT FALSE,
    terms_version  INTEGER NOT NULL DEFAULT 1,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX tenants_name ON tenants (lower(name));
CREATE UNIQUE INDEX tenants_account_number ON tenants (account_number);

CREATE TABLE license_pools (
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    license_type TEXT NOT NULL,
    total        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, license_type)
);

CREATE TABLE users (
    id                      TEXT PRIMARY KEY,
    tenant_id               TEXT REFERENCES tenants (id) ON DELETE CASCADE,
    name                    TEXT NOT NULL,
    active                  BOOLEAN NOT NULL DEFAULT TRUE,
    role                    TEXT NOT NULL,
    email                   TEXT NOT NULL DEFAULT '',
    timezone                TEXT NOT NULL DEFAULT '',
    language                TEXT NOT NULL DEFAULT '',
    record                  TEXT NOT NULL DEFAULT 'always',
    record_inbound          BOOLEAN NOT NULL DEFAULT TRUE,
    record_outbound         BOOLEAN NOT NULL DEFAULT TRUE,
    confidential            BOOLEAN NOT NULL DEFAULT FALSE,
    screen_username         TEXT NOT NULL DEFAULT '',
    login                   TEXT,
    portal_access           BOOLEAN NOT NULL DEFAULT FALSE,
    auth_type               TEXT NOT NULL DEFAULT 'password',
    require_2fa             BOOLEAN NOT NULL DEFAULT FALSE,
    valid_till              TIMESTAMP,
    pin_hash                TEXT NOT NULL DEFAULT '',
    speech_analytics_type   TEXT NOT NULL DEFAULT 'advanced',
    password_hash           TEXT NOT NULL DEFAULT '',
    totp_secret             TEXT NOT NULL DEFAULT '',
    totp_enabled            BOOLEAN NOT NULL DEFAULT FALSE,
    failed_logins           INTEGER NOT NULL DEFAULT 0,
    locked_until            TIMESTAMP,
    terms_accepted_version  INTEGER NOT NULL DEFAULT 0,
    created_at              TIMESTAMP NOT NULL,
    updated_at              TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX users_login ON users (lower(login));
CREATE INDEX users_tenant ON users (tenant_id, name);

CREATE TABLE user_extensions (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    extension TEXT NOT NULL,
    PRIMARY KEY (tenant_id, extension)
);
CREATE INDEX user_extensions_user ON user_extensions (user_id);

CREATE TABLE user_groups (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    timezone   TEXT NOT NULL DEFAULT '',
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX user_groups_name ON user_groups (tenant_id, lower(name));

CREATE TABLE group_members (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    group_id  TEXT NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE managed_groups (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id  TEXT NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, group_id)
);

CREATE TABLE user_licenses (
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    license_type TEXT NOT NULL,
    PRIMARY KEY (user_id, license_type)
);
CREATE INDEX user_licenses_pool ON user_licenses (tenant_id, license_type);

CREATE TABLE recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   TIMESTAMP,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE sessions (
    id_hash           TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    stage             TEXT NOT NULL,
    csrf_token        TEXT NOT NULL,
    acting_tenant_id  TEXT REFERENCES tenants (id) ON DELETE SET NULL,
    ip                TEXT NOT NULL DEFAULT '',
    created_at        TIMESTAMP NOT NULL,
    expires_at        TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT REFERENCES tenants (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP
);

CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP
);

CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT,
    actor_id    TEXT NOT NULL DEFAULT '',
    actor_login TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL DEFAULT '',
    object_id   TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '',
    ip          TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, created_at);
