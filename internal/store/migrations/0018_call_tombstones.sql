-- A deleted call leaves a tombstone: a recorder still holding the call's
-- spool (blob store down, or a restart) must not upload its audio or write
-- its row again, and audio the blob store refused to delete at once is
-- deleted later from here (blob_key is emptied when it is gone).

CREATE TABLE call_tombstones (
    tenant_id  TEXT NOT NULL,
    call_id    TEXT NOT NULL,
    blob_key   TEXT NOT NULL DEFAULT '',
    deleted_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, call_id)
);
CREATE INDEX call_tombstones_deleted_at ON call_tombstones (deleted_at);
