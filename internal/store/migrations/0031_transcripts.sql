-- Speech analytics (issue #19, part 1): the provider's choice of speech
-- engine, the durable queue of transcription jobs, and each call's
-- transcript as lines of dialogue with word times.

CREATE TABLE speech_settings (
    id         TEXT PRIMARY KEY,
    engine     TEXT NOT NULL DEFAULT '',
    url        TEXT NOT NULL DEFAULT '',
    model      TEXT NOT NULL DEFAULT '',
    key_enc    TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMP NOT NULL
);

-- One job per call. license_type is the recorded user's speech analytics
-- type when the job was queued (basic or advanced), for the analytics that
-- later steps add.
CREATE TABLE transcript_jobs (
    call_id        TEXT PRIMARY KEY REFERENCES calls (id) ON DELETE CASCADE,
    tenant_id      TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    state          TEXT NOT NULL,
    license_type   TEXT NOT NULL DEFAULT '',
    attempts       INTEGER NOT NULL DEFAULT 0,
    not_before     TIMESTAMP,
    lease_owner    TEXT NOT NULL DEFAULT '',
    lease_until    TIMESTAMP,
    progress_done  INTEGER NOT NULL DEFAULT 0,
    progress_total INTEGER NOT NULL DEFAULT 0,
    error          TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX transcript_jobs_runnable ON transcript_jobs (state, not_before);
CREATE INDEX transcript_jobs_tenant ON transcript_jobs (tenant_id, state);

-- body is every line's text in order, for search; keywords the basic
-- analysis (the most frequent content words).
CREATE TABLE transcripts (
    call_id      TEXT PRIMARY KEY REFERENCES calls (id) ON DELETE CASCADE,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    engine       TEXT NOT NULL,
    license_type TEXT NOT NULL DEFAULT '',
    body         TEXT NOT NULL,
    keywords     TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX transcripts_tenant ON transcripts (tenant_id, call_id);

CREATE TABLE transcript_lines (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    call_id   TEXT NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    channel   TEXT NOT NULL,
    start_ms  BIGINT NOT NULL,
    end_ms    BIGINT NOT NULL,
    text      TEXT NOT NULL,
    words     TEXT NOT NULL,
    PRIMARY KEY (call_id, position)
);
