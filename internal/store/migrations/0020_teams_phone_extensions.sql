-- Extensions learnt from Microsoft: the Teams phone numbers of a recorded
-- user, kept in sync every 15 minutes so an SBC's SIPREC fork of a Teams
-- PSTN call is attributed to the Teams user. source is '' for extensions an
-- admin typed and 'teams' for synced ones, which the sync may remove again.
ALTER TABLE user_extensions ADD COLUMN source TEXT NOT NULL DEFAULT '';
