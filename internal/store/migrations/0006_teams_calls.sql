-- The Teams bot's view of each compliance-recording leg, and alerts an
-- admin must see (a license pool ran out during auto-provisioning).

CREATE TABLE teams_calls (
    graph_call_id   TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    chain_id        TEXT NOT NULL DEFAULT '',
    correlation     TEXT NOT NULL,
    observed_aad_id TEXT NOT NULL,
    user_id         TEXT NOT NULL DEFAULT '',
    direction       TEXT NOT NULL DEFAULT '',
    decision        TEXT NOT NULL,
    reason          TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    last_keepalive  TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX teams_calls_correlation ON teams_calls (correlation);
CREATE INDEX teams_calls_status ON teams_calls (status, last_keepalive);

CREATE TABLE alerts (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    message     TEXT NOT NULL,
    resolved_at TIMESTAMP,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX alerts_tenant ON alerts (tenant_id, resolved_at, created_at);
