-- Encoding on worker nodes: a recorder behind on compression offers an
-- ended call here; a worker node (or the recorder itself, later) claims it
-- under a lease, fetches the mix from the recorder, encodes and stores it.
-- A lease that runs out (its holder died) makes the job claimable again.
-- The row goes with its call. lease_until also defers a failed attempt.

CREATE TABLE encode_jobs (
    tenant_id     TEXT NOT NULL,
    call_id       TEXT NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    recorder_node TEXT NOT NULL,
    audio_ms      BIGINT NOT NULL DEFAULT 0,
    state         TEXT NOT NULL,
    lease_owner   TEXT NOT NULL DEFAULT '',
    lease_until   TIMESTAMP,
    attempts      INTEGER NOT NULL DEFAULT 0,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, call_id)
);
CREATE INDEX encode_jobs_claim ON encode_jobs (state, created_at);
CREATE INDEX encode_jobs_node ON encode_jobs (recorder_node, state);
