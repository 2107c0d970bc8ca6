-- PostgreSQL estimates how many calls a text search matches from a sample
-- of search_text. With the default sample (100 histogram entries) a
-- number's digits were estimated at ~1% of calls instead of ~0.1%, so the
-- next page of a search walked the date index backwards filtering on the
-- pattern (37,000-46,000 rows, 130-150 ms at 1,000,000 calls) instead of
-- reading the trigram index's ~1,200 matches. The largest sample (10,000
-- histogram entries) estimates rare texts as rare and common ones ("+1555")
-- as common; ANALYZE then reads up to 3,000,000 rows (18 s at 1,000,000
-- calls on a 2-core VM), here once and later in autovacuum.

ALTER TABLE calls ALTER COLUMN search_text SET STATISTICS 10000;
ANALYZE calls;
