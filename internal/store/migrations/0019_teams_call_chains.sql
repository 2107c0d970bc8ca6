-- Teams call chains (issue #14). Microsoft names one conversation by its
-- callChainId: the legs of a meeting or group call, of a call between two
-- recorded users, and of transfers and forwards all carry it. callrec keeps
-- one recording per conversation and lists it under every recorded user of
-- the chain: a user who joined through participantJoiningNotification has
-- no leg of their own, only a row here.

CREATE TABLE teams_call_users (
    tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    chain_id        TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    graph_call_id   TEXT NOT NULL,
    observed_aad_id TEXT NOT NULL DEFAULT '',
    direction       TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, chain_id, user_id)
);
CREATE INDEX teams_call_users_user ON teams_call_users (tenant_id, user_id);
CREATE INDEX teams_calls_chain ON teams_calls (tenant_id, chain_id);
CREATE INDEX calls_tenant_external ON calls (tenant_id, external_call_id);
