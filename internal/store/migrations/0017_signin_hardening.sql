-- The time step (Unix time / 30 s) of the last TOTP code a user signed in
-- with: a code is accepted once, never replayed within its validity.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
