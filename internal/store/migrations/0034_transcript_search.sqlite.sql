-- Recordings text search covers transcripts (speech analytics): a call's
-- search document (migration 0011) gains its transcript's text after the
-- notes, joined by U+001F like every other field, so the FTS5 trigram index
-- answers transcript words the way it answers names and numbers. Every
-- trigger that builds the document is replaced to spell out the new part,
-- and transcripts get triggers of their own.

DROP TRIGGER calls_search_ai;
CREATE TRIGGER calls_search_ai AFTER INSERT ON calls BEGIN
    INSERT INTO call_search (call_id, tenant_id, body) VALUES (new.id, new.tenant_id, new.caller || char(31) || new.callee
        || COALESCE((SELECT char(31) || group_concat(p.name || char(31) || p.aor, char(31)) FROM call_participants p WHERE p.call_id = new.id), '')
        || COALESCE((SELECT char(31) || group_concat(n.body, char(31)) FROM call_notes n WHERE n.tenant_id = new.tenant_id AND n.call_id = new.id), '')
        || COALESCE((SELECT char(31) || t.body FROM transcripts t WHERE t.tenant_id = new.tenant_id AND t.call_id = new.id), '')); END;

DROP TRIGGER calls_search_au;
CREATE TRIGGER calls_search_au AFTER UPDATE OF caller, callee ON calls BEGIN
    UPDATE call_search SET body = new.caller || char(31) || new.callee
        || COALESCE((SELECT char(31) || group_concat(p.name || char(31) || p.aor, char(31)) FROM call_participants p WHERE p.call_id = new.id), '')
        || COALESCE((SELECT char(31) || group_concat(n.body, char(31)) FROM call_notes n WHERE n.tenant_id = new.tenant_id AND n.call_id = new.id), '')
        || COALESCE((SELECT char(31) || t.body FROM transcripts t WHERE t.tenant_id = new.tenant_id AND t.call_id = new.id), '')
    WHERE call_id = new.id; END;

DROP TRIGGER call_participants_search_ai;
CREATE TRIGGER call_participants_search_ai AFTER INSERT ON call_participants BEGIN
    UPDATE call_search SET body = (SELECT c.caller || char(31) || c.callee
        || COALESCE((SELECT char(31) || group_concat(p.name || char(31) || p.aor, char(31)) FROM call_participants p WHERE p.call_id = c.id), '')
        || COALESCE((SELECT char(31) || group_concat(n.body, char(31)) FROM call_notes n WHERE n.tenant_id = c.tenant_id AND n.call_id = c.id), '')
        || COALESCE((SELECT char(31) || t.body FROM transcripts t WHERE t.tenant_id = c.tenant_id AND t.call_id = c.id), '')
        FROM calls c WHERE c.id = new.call_id)
    WHERE call_id = new.call_id AND EXISTS (SELECT 1 FROM calls c WHERE c.id = new.call_id); END;

DROP TRIGGER call_participants_search_au;
CREATE TRIGGER call_participants_search_au AFTER UPDATE ON call_participants BEGIN
    UPDATE call_search SET body = (SELECT c.caller || char(31) || c.callee
        || COALESCE((SELECT char(31) || group_concat(p.name || char(31) || p.aor, char(31)) FROM call_participants p WHERE p.call_id = c.id), '')
        || COALESCE((SELECT char(31) || group_concat(n.body, char(31)) FROM call_notes n WHERE n.tenant_id = c.tenant_id AND n.call_id = c.id), '')
        || COALESCE((SELECT char(31) || t.body FROM transcripts t WHERE t.tenant_id = c.tenant_id AND t.call_id = c.id), '')
        FROM calls c WHERE c.id = new.call_id)
    WHERE call_id = new.call_id AND EXISTS (SELECT 1 FROM calls c WHERE c.id = new.call_id); END;

DROP TRIGGER call_participants_search_ad;
CREATE TRIGGER call_participants_search_ad AFTER DELETE ON call_participants BEGIN
    UPDATE call_search SET body = (SELECT c.caller || char(31) || c.callee
        || COALESCE((SELECT char(31) || group_concat(p.name || char(31) || p.aor, char(31)) FROM call_participants p WHERE p.call_id = c.id), '')
        || COALESCE((SELECT char(31) || group_concat(n.body, char(31)) FROM call_notes n WHERE n.tenant_id = c.tenant_id AND n.call_id = c.id), '')
        || COALESCE((SELECT char(31) || t.body FROM transcripts t WHERE t.tenant_id = c.tenant_id AND t.call_id = c.id), '')
        FROM calls c WHERE c.id = old.call_id)
    WHERE call_id = old.call_id AND EXISTS (SELECT 1 FROM calls c WHERE c.id = old.call_id); END;

DROP TRIGGER call_notes_search_ai;
CREATE TRIGGER call_notes_search_ai AFTER INSERT ON call_notes BEGIN
    UPDATE call_search SET body = (SELECT c.caller || char(31) || c.callee
        || COALESCE((SELECT char(31) || group_concat(p.name || char(31) || p.aor, char(31)) FROM call_participants p WHERE p.call_id = c.id), '')
        || COALESCE((SELECT char(31) || group_concat(n.body, char(31)) FROM call_notes n WHERE n.tenant_id = c.tenant_id AND n.call_id = c.id), '')
        || COALESCE((SELECT char(31) || t.body FROM transcripts t WHERE t.tenant_id = c.tenant_id AND t.call_id = c.id), '')
        FROM calls c WHERE c.id = new.call_id)
    WHERE call_id = new.call_id AND EXISTS (SELECT 1 FROM calls c WHERE c.id = new.call_id); END;

DROP TRIGGER call_notes_search_au;
CREATE TRIGGER call_notes_search_au AFTER UPDATE ON call_notes BEGIN
    UPDATE call_search SET body = (SELECT c.caller || char(31) || c.callee
        || COALESCE((SELECT char(31) || group_concat(p.name || char(31) || p.aor, char(31)) FROM call_participants p WHERE p.call_id = c.id), '')
        || COALESCE((SELECT char(31) || group_concat(n.body, char(31)) FROM call_notes n WHERE n.tenant_id = c.tenant_id AND n.call_id = c.id), '')
        || COALESCE((SELECT char(31) || t.body FROM transcripts t WHERE t.tenant_id = c.tenant_id AND t.call_id = c.id), '')
        FROM calls c WHERE c.id = new.call_id)
    WHERE call_id = new.call_id AND EXISTS (SELECT 1 FROM calls c WHERE c.id = new.call_id); END;

DROP TRIGGER call_notes_search_ad;
CREATE TRIGGER call_notes_search_ad AFTER DELETE ON call_notes BEGIN
    UPDATE call_search SET body = (SELECT c.caller || char(31) || c.callee
        || COALESCE((SELECT char(31) || group_concat(p.name || char(31) || p.aor, char(31)) FROM call_participants p WHERE p.call_id = c.id), '')
        || COALESCE((SELECT char(31) || group_concat(n.body, char(31)) FROM call_notes n WHERE n.tenant_id = c.tenant_id AND n.call_id = c.id), '')
        || COALESCE((SELECT char(31) || t.body FROM transcripts t WHERE t.tenant_id = c.tenant_id AND t.call_id = c.id), '')
        FROM calls c WHERE c.id = old.call_id)
    WHERE call_id = old.call_id AND EXISTS (SELECT 1 FROM calls c WHERE c.id = old.call_id); END;

CREATE TRIGGER transcripts_search_ai AFTER INSERT ON transcripts BEGIN
    UPDATE call_search SET body = (SELECT c.caller || char(31) || c.callee
        || COALESCE((SELECT char(31) || group_concat(p.name || char(31) || p.aor, char(31)) FROM call_participants p WHERE p.call_id = c.id), '')
        || COALESCE((SELECT char(31) || group_concat(n.body, char(31)) FROM call_notes n WHERE n.tenant_id = c.tenant_id AND n.call_id = c.id), '')
        || COALESCE((SELECT char(31) || t.body FROM transcripts t WHERE t.tenant_id = c.tenant_id AND t.call_id = c.id), '')
        FROM calls c WHERE c.id = new.call_id)
    WHERE call_id = new.call_id AND EXISTS (SELECT 1 FROM calls c WHERE c.id = new.call_id); END;

CREATE TRIGGER transcripts_search_au AFTER UPDATE ON transcripts BEGIN
    UPDATE call_search SET body = (SELECT c.caller || char(31) || c.callee
        || COALESCE((SELECT char(31) || group_concat(p.name || char(31) || p.aor, char(31)) FROM call_participants p WHERE p.call_id = c.id), '')
        || COALESCE((SELECT char(31) || group_concat(n.body, char(31)) FROM call_notes n WHERE n.tenant_id = c.tenant_id AND n.call_id = c.id), '')
        || COALESCE((SELECT char(31) || t.body FROM transcripts t WHERE t.tenant_id = c.tenant_id AND t.call_id = c.id), '')
        FROM calls c WHERE c.id = new.call_id)
    WHERE call_id = new.call_id AND EXISTS (SELECT 1 FROM calls c WHERE c.id = new.call_id); END;

CREATE TRIGGER transcripts_search_ad AFTER DELETE ON transcripts BEGIN
    UPDATE call_search SET body = (SELECT c.caller || char(31) || c.callee
        || COALESCE((SELECT char(31) || group_concat(p.name || char(31) || p.aor, char(31)) FROM call_participants p WHERE p.call_id = c.id), '')
        || COALESCE((SELECT char(31) || group_concat(n.body, char(31)) FROM call_notes n WHERE n.tenant_id = c.tenant_id AND n.call_id = c.id), '')
        || COALESCE((SELECT char(31) || t.body FROM transcripts t WHERE t.tenant_id = c.tenant_id AND t.call_id = c.id), '')
        FROM calls c WHERE c.id = old.call_id)
    WHERE call_id = old.call_id AND EXISTS (SELECT 1 FROM calls c WHERE c.id = old.call_id); END;

-- Transcripts stored before this migration.
UPDATE call_search SET body = (SELECT c.caller || char(31) || c.callee
        || COALESCE((SELECT char(31) || group_concat(p.name || char(31) || p.aor, char(31)) FROM call_participants p WHERE p.call_id = c.id), '')
        || COALESCE((SELECT char(31) || group_concat(n.body, char(31)) FROM call_notes n WHERE n.tenant_id = c.tenant_id AND n.call_id = c.id), '')
        || COALESCE((SELECT char(31) || t.body FROM transcripts t WHERE t.tenant_id = c.tenant_id AND t.call_id = c.id), '')
        FROM calls c WHERE c.id = call_search.call_id)
WHERE call_id IN (SELECT call_id FROM transcripts);
