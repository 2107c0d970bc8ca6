-- The provider's white label, installation-wide (one provider per
-- installation): one row, id 'installation', present once a provider admin
-- has set a brand; without it the built-in brand applies. The logo is kept
-- base64 in a TEXT column (at most a few hundred KiB, checked by the
-- service) so that one statement serves SQLite and PostgreSQL.

CREATE TABLE branding (
    id               TEXT PRIMARY KEY,
    product_name     TEXT NOT NULL,
    tagline          TEXT NOT NULL DEFAULT '',
    accent_color     TEXT NOT NULL DEFAULT '',
    support_email    TEXT NOT NULL DEFAULT '',
    support_phone    TEXT NOT NULL DEFAULT '',
    support_url      TEXT NOT NULL DEFAULT '',
    terms_text       TEXT NOT NULL DEFAULT '',
    ms_app_name      TEXT NOT NULL DEFAULT '',
    ms_app_upn       TEXT NOT NULL DEFAULT '',
    ms_policy_prefix TEXT NOT NULL DEFAULT '',
    logo_type        TEXT NOT NULL DEFAULT '',
    logo             TEXT NOT NULL DEFAULT '',
    updated_at       TIMESTAMP NOT NULL
);
