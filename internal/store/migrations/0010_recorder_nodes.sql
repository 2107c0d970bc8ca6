-- Scale-out playback: each recorder node registers the internal base URL
-- where web nodes fetch the audio still in its spool, and keeps its row
-- fresh with a heartbeat; a row whose heartbeat is stale names a node that
-- is gone. cluster_secrets holds the key that signs internal requests when
-- CALLREC_INTERNAL_SECRET is not set, so nodes that share the database
-- share the key without further setup.

CREATE TABLE recorder_nodes (
    node         TEXT PRIMARY KEY,
    internal_url TEXT NOT NULL,
    started_at   TIMESTAMP NOT NULL,
    heartbeat_at TIMESTAMP NOT NULL
);

CREATE TABLE cluster_secrets (
    name       TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
