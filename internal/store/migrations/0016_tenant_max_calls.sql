-- Tenant isolation at the recording edge (issue #12 item 4).
--
-- max_calls: how many calls of the tenant one recorder node records at
-- once, set by the provider; 0 is unlimited, so existing tenants are
-- unaffected. The node-wide limit (CALLREC_MAX_CALLS) still applies.
--
-- provider_alerts: what a provider admin must look at, beside the tenant
-- admins' alerts (which belong to a tenant): an INVITE that matched SIPREC
-- sources of two customers equally well and was refused. dedup_key names
-- the sources involved, so a flood of such INVITEs raises one alert per
-- source pair per hour.

ALTER TABLE tenants ADD COLUMN max_calls INTEGER NOT NULL DEFAULT 0;

CREATE TABLE provider_alerts (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    message     TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    dedup_key   TEXT NOT NULL DEFAULT '',
    resolved_at TIMESTAMP,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX provider_alerts_open ON provider_alerts (resolved_at, created_at);
CREATE INDEX provider_alerts_dedup ON provider_alerts (dedup_key, created_at);
