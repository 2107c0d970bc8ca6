-- What a SIPREC source's calls whose parties match no user become:
-- 'record' (the default) records them into the tenant's Unassigned bucket,
-- which admins see; 'metadata' keeps the call's row without audio. The
-- index serves the Unassigned list and the unknown-extensions report.

ALTER TABLE sip_sources ADD COLUMN unmatched TEXT NOT NULL DEFAULT 'record';
CREATE INDEX calls_unassigned ON calls (tenant_id, recorded_user_id, started_at);
