-- Recordings: the SIPREC sources each tenant registers, and the calls the
-- recorder takes with their participants.

CREATE TABLE sip_sources (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    address    TEXT NOT NULL,
    domain     TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX sip_sources_name ON sip_sources (tenant_id, lower(name));

CREATE TABLE calls (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    sip_source_id    TEXT NOT NULL DEFAULT '',
    state            TEXT NOT NULL,
    direction        TEXT NOT NULL DEFAULT '',
    started_at       TIMESTAMP NOT NULL,
    ended_at         TIMESTAMP,
    duration_ms      BIGINT NOT NULL DEFAULT 0,
    size_bytes       BIGINT NOT NULL DEFAULT 0,
    sha256           TEXT NOT NULL DEFAULT '',
    blob_key         TEXT NOT NULL DEFAULT '',
    audio_format     TEXT NOT NULL DEFAULT '',
    recorder_node    TEXT NOT NULL DEFAULT '',
    recorded         BOOLEAN NOT NULL DEFAULT FALSE,
    decision_reason  TEXT NOT NULL DEFAULT '',
    confidential     BOOLEAN NOT NULL DEFAULT FALSE,
    expires_at       TIMESTAMP,
    recorded_user_id TEXT NOT NULL DEFAULT '',
    sip_call_id      TEXT NOT NULL DEFAULT '',
    session_id       TEXT NOT NULL DEFAULT '',
    external_call_id TEXT NOT NULL DEFAULT '',
    caller           TEXT NOT NULL DEFAULT '',
    callee           TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX calls_tenant_started ON calls (tenant_id, started_at);
CREATE INDEX calls_tenant_user ON calls (tenant_id, recorded_user_id);
CREATE INDEX calls_node_state ON calls (recorder_node, state);

CREATE TABLE call_participants (
    tenant_id      TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    call_id        TEXT NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    participant_id TEXT NOT NULL DEFAULT '',
    name           TEXT NOT NULL DEFAULT '',
    aor            TEXT NOT NULL DEFAULT '',
    user_id        TEXT NOT NULL DEFAULT '',
    recorded       BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (call_id, position)
);
CREATE INDEX call_participants_user ON call_participants (tenant_id, user_id);
