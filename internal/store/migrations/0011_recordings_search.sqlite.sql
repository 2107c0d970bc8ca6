-- Recordings text search on SQLite: one search document per call (caller,
-- callee, participants' names and addresses, notes, joined by U+001F so a
-- query without that character never matches across two fields), kept by
-- triggers, and an FTS5 trigram index over it that answers substring
-- queries of three or more characters without scanning. call_search has an
-- INTEGER PRIMARY KEY because the index refers to rows by rowid, and VACUUM
-- may renumber the implicit rowids of calls.

CREATE TABLE call_search (
    id        INTEGER PRIMARY KEY,
    call_id   TEXT NOT NULL UNIQUE,
    tenant_id TEXT NOT NULL,
    body      TEXT NOT NULL
);

CREATE VIRTUAL TABLE call_search_fts USING fts5 (body, content = 'call_search', content_rowid = 'id', tokenize = 'trigram');

CREATE TRIGGER call_search_fts_ai AFTER INSERT ON call_search BEGIN
    INSERT INTO call_search_fts (rowid, body) VALUES (new.id, new.body); END;

CREATE TRIGGER call_search_fts_ad AFTER DELETE ON call_search BEGIN
    INSERT INTO call_search_fts (call_search_fts, rowid, body) VALUES ('delete', old.id, old.body); END;

CREATE TRIGGER call_search_fts_au AFTER UPDATE OF body ON call_search BEGIN
    INSERT INTO call_search_fts (call_search_fts, rowid, body) VALUES ('delete', old.id, old.body); INSERT INTO call_search_fts (rowid, body) VALUES (new.id, new.body); END;

-- The document of call X is:
--   caller || 0x1f || callee
--   [|| 0x1f || name 0x1f aor ... per participant] [|| 0x1f || body ... per note]
-- Each trigger below spells it out, since SQLite has no stored functions.

CREATE TRIGGER calls_search_ai AFTER INSERT ON calls BEGIN
    INSERT INTO call_search (call_id, tenant_id, body) VALUES (new.id, new.tenant_id, new.caller || char(31) || new.callee
        || COALESCE((SELECT char(31) || group_concat(p.name || char(31) || p.aor, char(31)) FROM call_participants p WHERE p.call_id = new.id), '')
        || COALESCE((SELECT char(31) || group_concat(n.body, char(31)) FROM call_notes n WHERE n.tenant_id = new.tenant_id AND n.call_id = new.id), '')); END;

CREATE TRIGGER calls_search_au AFTER UPDATE OF caller, callee ON calls BEGIN
    UPDATE call_search SET body = new.caller || char(31) || new.callee
        || COALESCE((SELECT char(31) || group_concat(p.name || char(31) || p.aor, char(31)) FROM call_participants p WHERE p.call_id = new.id), '')
        || COALESCE((SELECT char(31) || group_concat(n.body, char(31)) FROM call_notes n WHERE n.tenant_id = new.tenant_id AND n.call_id = new.id), '')
    WHERE call_id = new.id; END;

CREATE TRIGGER calls_search_ad AFTER DELETE ON calls BEGIN
    DELETE FROM call_search WHERE call_id = old.id; END;

CREATE TRIGGER call_participants_search_ai AFTER INSERT ON call_participants BEGIN
    UPDATE call_search SET body = (SELECT c.caller || char(31) || c.callee
        || COALESCE((SELECT char(31) || group_concat(p.name || char(31) || p.aor, char(31)) FROM call_participants p WHERE p.call_id = c.id), '')
        || COALESCE((SELECT char(31) || group_concat(n.body, char(31)) FROM call_notes n WHERE n.tenant_id = c.tenant_id AND n.call_id = c.id), '')
        FROM calls c WHERE c.id = new.call_id)
    WHERE call_id = new.call_id AND EXISTS (SELECT 1 FROM calls c WHERE c.id = new.call_id); END;

CREATE TRIGGER call_participants_search_au AFTER UPDATE ON call_participants BEGIN
    UPDATE call_search SET body = (SELECT c.caller || char(31) || c.callee
        || COALESCE((SELECT char(31) || group_concat(p.name || char(31) || p.aor, char(31)) FROM call_participants p WHERE p.call_id = c.id), '')
        || COALESCE((SELECT char(31) || group_concat(n.body, char(31)) FROM call_notes n WHERE n.tenant_id = c.tenant_id AND n.call_id = c.id), '')
        FROM calls c WHERE c.id = new.call_id)
    WHERE call_id = new.call_id AND EXISTS (SELECT 1 FROM calls c WHERE c.id = new.call_id); END;

CREATE TRIGGER call_participants_search_ad AFTER DELETE ON call_participants BEGIN
    UPDATE call_search SET body = (SELECT c.caller || char(31) || c.callee
        || COALESCE((SELECT char(31) || group_concat(p.name || char(31) || p.aor, char(31)) FROM call_participants p WHERE p.call_id = c.id), '')
        || COALESCE((SELECT char(31) || group_concat(n.body, char(31)) FROM call_notes n WHERE n.tenant_id = c.tenant_id AND n.call_id = c.id), '')
        FROM calls c WHERE c.id = old.call_id)
    WHERE call_id = old.call_id AND EXISTS (SELECT 1 FROM calls c WHERE c.id = old.call_id); END;

CREATE TRIGGER call_notes_search_ai AFTER INSERT ON call_notes BEGIN
    UPDATE call_search SET body = (SELECT c.caller || char(31) || c.callee
        || COALESCE((SELECT char(31) || group_concat(p.name || char(31) || p.aor, char(31)) FROM call_participants p WHERE p.call_id = c.id), '')
        || COALESCE((SELECT char(31) || group_concat(n.body, char(31)) FROM call_notes n WHERE n.tenant_id = c.tenant_id AND n.call_id = c.id), '')
        FROM calls c WHERE c.id = new.call_id)
    WHERE call_id = new.call_id AND EXISTS (SELECT 1 FROM calls c WHERE c.id = new.call_id); END;

CREATE TRIGGER call_notes_search_au AFTER UPDATE ON call_notes BEGIN
    UPDATE call_search SET body = (SELECT c.caller || char(31) || c.callee
        || COALESCE((SELECT char(31) || group_concat(p.name || char(31) || p.aor, char(31)) FROM call_participants p WHERE p.call_id = c.id), '')
        || COALESCE((SELECT char(31) || group_concat(n.body, char(31)) FROM call_notes n WHERE n.tenant_id = c.tenant_id AND n.call_id = c.id), '')
        FROM calls c WHERE c.id = new.call_id)
    WHERE call_id = new.call_id AND EXISTS (SELECT 1 FROM calls c WHERE c.id = new.call_id); END;

CREATE TRIGGER call_notes_search_ad AFTER DELETE ON call_notes BEGIN
    UPDATE call_search SET body = (SELECT c.caller || char(31) || c.callee
        || COALESCE((SELECT char(31) || group_concat(p.name || char(31) || p.aor, char(31)) FROM call_participants p WHERE p.call_id = c.id), '')
        || COALESCE((SELECT char(31) || group_concat(n.body, char(31)) FROM call_notes n WHERE n.tenant_id = c.tenant_id AND n.call_id = c.id), '')
        FROM calls c WHERE c.id = old.call_id)
    WHERE call_id = old.call_id AND EXISTS (SELECT 1 FROM calls c WHERE c.id = old.call_id); END;

-- Calls stored before this migration.
INSERT INTO call_search (call_id, tenant_id, body)
SELECT c.id, c.tenant_id, c.caller || char(31) || c.callee
    || COALESCE((SELECT char(31) || group_concat(p.name || char(31) || p.aor, char(31)) FROM call_participants p WHERE p.call_id = c.id), '')
    || COALESCE((SELECT char(31) || group_concat(n.body, char(31)) FROM call_notes n WHERE n.tenant_id = c.tenant_id AND n.call_id = c.id), '')
FROM calls c;
