-- What a SIPREC session told about a call over its whole dialog: every
-- identity of each participant and when they joined and left (offsets from
-- the call's start), and in calls.siprec the streams (label, codec, sender,
-- state over time) and the log of metadata changes. external_call_id (a
-- vendor's call id: Avaya UCID, Cisco GUID, …) is looked up exactly.

ALTER TABLE call_participants ADD COLUMN aors TEXT NOT NULL DEFAULT '';
ALTER TABLE call_participants ADD COLUMN joined_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE call_participants ADD COLUMN left_ms BIGINT;
ALTER TABLE calls ADD COLUMN siprec TEXT;
