-- Live events across nodes (PostgreSQL installations): a recorder node
-- appends call events here and NOTIFYs callrec_events with the row's id;
-- every node LISTENs, reads the rows after the last it saw (also after a
-- reconnect, so none is missed) and hands them to its own subscribers.
-- Rows are pruned after a few minutes: they are a relay, not a history.

CREATE TABLE event_log (
    id        BIGSERIAL PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    kind      TEXT NOT NULL,
    data      TEXT NOT NULL,
    at        TIMESTAMP NOT NULL
);
CREATE INDEX event_log_at ON event_log (at);
