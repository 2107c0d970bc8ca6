-- The Recordings workspace: notes pinned to a moment of a call, the spans a
-- call's recording was paused, each tenant's recording settings, and the
-- indexes the recordings search and the retention job walk.

CREATE TABLE call_notes (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    call_id     TEXT NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    author_id   TEXT NOT NULL DEFAULT '',
    author_name TEXT NOT NULL DEFAULT '',
    offset_ms   BIGINT NOT NULL DEFAULT 0,
    body        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX call_notes_call ON call_notes (tenant_id, call_id, offset_ms);

CREATE TABLE call_pauses (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    call_id    TEXT NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    start_ms   BIGINT NOT NULL,
    end_ms     BIGINT,
    paused_by  TEXT NOT NULL DEFAULT '',
    resumed_by TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX call_pauses_call ON call_pauses (tenant_id, call_id, start_ms);

CREATE TABLE recording_settings (
    tenant_id           TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    auto_resume_seconds INTEGER NOT NULL DEFAULT 300,
    updated_at          TIMESTAMP NOT NULL
);

CREATE INDEX calls_tenant_started_id ON calls (tenant_id, started_at, id);
CREATE INDEX calls_tenant_user_started ON calls (tenant_id, recorded_user_id, started_at, id);
CREATE INDEX calls_tenant_duration ON calls (tenant_id, duration_ms, id);
CREATE INDEX calls_expires ON calls (expires_at);
