-- Recordings text search on PostgreSQL: each call keeps its search text
-- (caller, callee, participants' names and addresses, notes, lower-cased and
-- joined by U+001F so a query without that character never matches across
-- two fields), kept by triggers, with a pg_trgm GIN index that answers
-- LIKE '%…%' without scanning.
--
-- pg_trgm is created in public unless it is already installed elsewhere;
-- the index names its operator class by the extension's schema, so it does
-- not depend on search_path. The advisory lock keeps two processes
-- migrating a fresh database at once from both creating the extension.
-- Without superuser rights, CREATE on the database is enough (pg_trgm is a
-- trusted extension), or an administrator runs
-- CREATE EXTENSION pg_trgm WITH SCHEMA public beforehand.

ALTER TABLE calls ADD COLUMN search_text TEXT NOT NULL DEFAULT '';

CREATE FUNCTION call_search_parts(tid TEXT, cid TEXT) RETURNS TEXT LANGUAGE sql STABLE AS $$
    SELECT lower(COALESCE((SELECT chr(31) || string_agg(p.name || chr(31) || p.aor, chr(31) ORDER BY p.position)
            FROM call_participants p WHERE p.call_id = cid), '')
        || COALESCE((SELECT chr(31) || string_agg(n.body, chr(31) ORDER BY n.offset_ms, n.id)
            FROM call_notes n WHERE n.tenant_id = tid AND n.call_id = cid), ''))
$$;

CREATE FUNCTION calls_search_text() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
    NEW.search_text := lower(NEW.caller || chr(31) || NEW.callee) || call_search_parts(NEW.tenant_id, NEW.id); RETURN NEW; END $$;

CREATE TRIGGER calls_search_text BEFORE INSERT OR UPDATE OF caller, callee ON calls
    FOR EACH ROW EXECUTE FUNCTION calls_search_text();

CREATE FUNCTION call_search_touch() RETURNS trigger LANGUAGE plpgsql AS $$ DECLARE r record; BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF; UPDATE calls c
        SET search_text = lower(c.caller || chr(31) || c.callee) || call_search_parts(c.tenant_id, c.id)
        WHERE c.tenant_id = r.tenant_id AND c.id = r.call_id; RETURN NULL; END $$;

CREATE TRIGGER call_participants_search AFTER INSERT OR UPDATE OR DELETE ON call_participants
    FOR EACH ROW EXECUTE FUNCTION call_search_touch();

CREATE TRIGGER call_notes_search AFTER INSERT OR UPDATE OR DELETE ON call_notes
    FOR EACH ROW EXECUTE FUNCTION call_search_touch();

UPDATE calls SET search_text = lower(caller || chr(31) || callee) || call_search_parts(tenant_id, id);

DO $$ DECLARE s text; BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('callrec.pg_trgm')); SELECT extnamespace::regnamespace::text INTO s FROM pg_extension WHERE extname = 'pg_trgm'; IF s IS NULL THEN
        CREATE EXTENSION pg_trgm WITH SCHEMA public; s := 'public'; END IF; EXECUTE format('CREATE INDEX calls_search_trgm ON calls USING gin (search_text %s.gin_trgm_ops)', s); END $$;
