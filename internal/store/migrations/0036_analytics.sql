-- Speech analytics (issue #19, part 2): admin-defined topics, what each
-- transcribed call holds of them, its sentiment and summary, and each
-- tenant's redaction rule.

CREATE TABLE analytics_topics (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    definition TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX analytics_topics_name ON analytics_topics (tenant_id, name);

CREATE TABLE call_topics (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    call_id   TEXT NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    topic_id  TEXT NOT NULL REFERENCES analytics_topics (id) ON DELETE CASCADE,
    hits      INTEGER NOT NULL,
    first_ms  BIGINT NOT NULL,
    PRIMARY KEY (call_id, topic_id)
);
CREATE INDEX call_topics_tenant ON call_topics (tenant_id, topic_id);

-- started_at and user_id are the call's, copied so that the dashboard's
-- tiles and heatmap read one table.
CREATE TABLE call_analytics (
    call_id         TEXT PRIMARY KEY REFERENCES calls (id) ON DELETE CASCADE,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    started_at      TIMESTAMP NOT NULL,
    sentiment       DOUBLE PRECISION NOT NULL,
    label           TEXT NOT NULL,
    agent_sentiment DOUBLE PRECISION NOT NULL,
    other_sentiment DOUBLE PRECISION NOT NULL,
    utterances      TEXT NOT NULL,
    summary         TEXT NOT NULL DEFAULT '',
    summary_model   TEXT NOT NULL DEFAULT '',
    redactions      INTEGER NOT NULL DEFAULT 0,
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX call_analytics_tenant ON call_analytics (tenant_id, started_at);

CREATE TABLE redaction_settings (
    tenant_id  TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    enabled    BOOLEAN NOT NULL DEFAULT FALSE,
    patterns   TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- The provider's optional chat endpoint for summaries (one row, id 'default').
CREATE TABLE summary_settings (
    id         TEXT PRIMARY KEY,
    url        TEXT NOT NULL DEFAULT '',
    model      TEXT NOT NULL DEFAULT '',
    key_enc    TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMP NOT NULL
);
