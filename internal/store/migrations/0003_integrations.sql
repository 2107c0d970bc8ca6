-- Teams integration: one row per tenant and kind, with its wizard state,
-- encrypted Microsoft tokens and the durable provisioning job.

CREATE TABLE integrations (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL,
    mode             TEXT NOT NULL DEFAULT 'automation',
    status           TEXT NOT NULL,
    authorized_by    TEXT NOT NULL DEFAULT '',
    org_domain       TEXT NOT NULL DEFAULT '',
    org_id           TEXT NOT NULL DEFAULT '',
    admin_consent    BOOLEAN NOT NULL DEFAULT FALSE,
    config           TEXT NOT NULL DEFAULT '{}',
    resources        TEXT NOT NULL DEFAULT '{}',
    tokens_enc       TEXT NOT NULL DEFAULT '',
    oauth_state      TEXT NOT NULL DEFAULT '',
    oauth_verifier   TEXT NOT NULL DEFAULT '',
    oauth_purpose    TEXT NOT NULL DEFAULT '',
    job_kind         TEXT NOT NULL DEFAULT '',
    job_state        TEXT NOT NULL DEFAULT '',
    job_options      TEXT NOT NULL DEFAULT '{}',
    job_lease_owner  TEXT NOT NULL DEFAULT '',
    job_lease_until  TIMESTAMP,
    job_not_before   TIMESTAMP,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX integrations_tenant_kind ON integrations (tenant_id, kind);
CREATE INDEX integrations_job ON integrations (job_state, job_not_before);

CREATE TABLE integration_steps (
    tenant_id      TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    job_kind       TEXT NOT NULL,
    position       INTEGER NOT NULL,
    step           TEXT NOT NULL,
    title          TEXT NOT NULL,
    status         TEXT NOT NULL,
    message        TEXT NOT NULL DEFAULT '',
    attempts       INTEGER NOT NULL DEFAULT 0,
    updated_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (integration_id, job_kind, step)
);
