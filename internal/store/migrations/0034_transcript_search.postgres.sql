-- Recordings text search covers transcripts (speech analytics): a call's
-- search_text (migration 0011) gains its transcript's text after the notes,
-- lower-cased and joined by U+001F like every other field, so the pg_trgm
-- index answers transcript words the way it answers names and numbers.

CREATE OR REPLACE FUNCTION call_search_parts(tid TEXT, cid TEXT) RETURNS TEXT LANGUAGE sql STABLE AS $$
    SELECT lower(COALESCE((SELECT chr(31) || string_agg(p.name || chr(31) || p.aor, chr(31) ORDER BY p.position)
            FROM call_participants p WHERE p.call_id = cid), '')
        || COALESCE((SELECT chr(31) || string_agg(n.body, chr(31) ORDER BY n.offset_ms, n.id)
            FROM call_notes n WHERE n.tenant_id = tid AND n.call_id = cid), '')
        || COALESCE((SELECT chr(31) || t.body FROM transcripts t WHERE t.tenant_id = tid AND t.call_id = cid), ''))
$$;

CREATE TRIGGER transcripts_search AFTER INSERT OR UPDATE OR DELETE ON transcripts
    FOR EACH ROW EXECUTE FUNCTION call_search_touch();

UPDATE calls c SET search_text = lower(c.caller || chr(31) || c.callee) || call_search_parts(c.tenant_id, c.id)
    WHERE c.id IN (SELECT call_id FROM transcripts);
