package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// anyEngine asks textWhere for SQL both engines run: the scan.
const anyEngine Dialect = -1

// searchSep joins the fields of a call's search text (migration 0011). A
// query holding it could match across two fields, so it takes the scan.
const searchSep = "\x1f"

// minTrigramRunes is the shortest query the trigram indexes answer.
const minTrigramRunes = 3

// broadTextMatches is how many calls a text must match before SQLite looks
// for it row by row in the list's order rather than gathering every match
// from the trigram index first: a text found in most calls (a country code)
// then costs one page of rows, and a rare one a few index lookups.
const broadTextMatches = 10_000

// maxCaseVariants bounds the LIKE patterns of one query on SQLite; a
// longer non-ASCII text is left to the trigram index.
const maxCaseVariants = 16

// textPlan is how SQLite answers one text filter, decided by
// planText before the list's query is built.
type textPlan struct {
	// broad: the text is in at least broadTextMatches of the tenant's
	// calls; it is checked per call in the list's order.
	broad bool
	// ids are the tenant's calls holding the text, when planText found
	// them all (fewer than broadTextMatches): the list's query looks them
	// up by id instead of asking the index again.
	ids []string
}

// textWhere is the Recordings text filter over calls c: text is a substring
// of the caller, the callee, a participant's name or address, or a note, in
// any case. PostgreSQL matches the call's search_text through its pg_trgm
// index. SQLite matches call_search through FTS5 trigrams (plan.ids when
// planText already asked); a text shorter than a trigram, or broad, is
// checked per call with LIKE in each case variant.
func textWhere(d Dialect, plan textPlan, tenantID, text string) (string, []any) {
	switch {
	case d == anyEngine || strings.Contains(text, searchSep):
		return textScan(text)
	case d == Postgres:
		return `c.search_text LIKE ? ESCAPE '\'`, []any{likePattern(text)}
	case plan.ids != nil:
		ids, _ := json.Marshal(plan.ids)
		return `c.id IN (SELECT j.value FROM json_each(?) j)`, []any{string(ids)}
	case !plan.broad && utf8.RuneCountInString(text) >= minTrigramRunes:
		return `c.id IN (SELECT s.call_id FROM call_search s WHERE s.tenant_id = ? AND s.id IN
			(SELECT f.rowid FROM call_search_fts f WHERE call_search_fts MATCH ?))`, []any{tenantID, ftsPhrase(text)}
	}
	cond, args := likeAny(text)
	return `EXISTS (SELECT 1 FROM call_search s WHERE s.tenant_id = ? AND s.call_id = c.id AND ` + cond + `)`,
		append([]any{tenantID}, args...)
}

// likeAny is text as a substring of call_search s's body in any case: one
// LIKE per case variant.
func likeAny(text string) (string, []any) {
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	variants := caseVariants(text)
	conds := make([]string, len(variants))
	args := make([]any, len(variants))
	for i, v := range variants {
		conds[i] = `s.body LIKE ? ESCAPE '\'`
		args[i] = "%" + esc.Replace(v) + "%"
	}
	return "(" + strings.Join(conds, " OR ") + ")", args
}

// planText decides how SQLite answers text for the tenant. The trigram
// index reads every document of each trigram in a phrase, so a phrase
// holding a trigram most calls share (the "555" of a shared area code) costs
// as much as that trigram's million entries. So the text's rare trigrams
// (fewer than broadTextMatches documents each) find the candidates, and
// the candidates are checked for the text itself. Only a text made of
// common trigrams asks the index for the phrase, reading at most
// broadTextMatches matches, and is broad when there are that many.
func (q Q) planText(ctx context.Context, tenantID, text string) (textPlan, error) {
	if q.db.dialect != SQLite || text == "" || strings.Contains(text, searchSep) ||
		utf8.RuneCountInString(text) < minTrigramRunes || len(caseVariants(text)) > maxCaseVariants {
		return textPlan{}, nil
	}
	rare, err := q.rareTrigrams(ctx, text)
	if err != nil {
		return textPlan{}, err
	}
	if len(rare) > 0 {
		cond, args := likeAny(text)
		ids, err := q.searchIDs(ctx, `SELECT s.call_id FROM call_search_fts f JOIN call_search s ON s.id = f.rowid
			WHERE call_search_fts MATCH ? AND s.tenant_id = ? AND `+cond,
			append([]any{strings.Join(rare, " AND "), tenantID}, args...)...)
		return textPlan{ids: ids}, err
	}
	ids, err := q.searchIDs(ctx, `SELECT s.call_id FROM call_search_fts f JOIN call_search s ON s.id = f.rowid
		WHERE call_search_fts MATCH ? AND s.tenant_id = ? LIMIT ?`, ftsPhrase(text), tenantID, broadTextMatches)
	if len(ids) >= broadTextMatches {
		return textPlan{broad: true}, err
	}
	return textPlan{ids: ids}, err
}

// Bounds on rareTrigrams' probes: a long text costs at most
// maxTrigramProbes index reads, and enoughRareTrigrams already narrow the
// candidates to few (they are checked for the whole text either way).
const (
	maxTrigramProbes   = 12
	enoughRareTrigrams = 3
)

// rareTrigrams returns, quoted for an FTS5 query, some of the text's
// trigrams that fewer than broadTextMatches documents hold (of any tenant:
// this only chooses how to search). Each count stops at that many.
func (q Q) rareTrigrams(ctx context.Context, text string) ([]string, error) {
	runes := []rune(text)
	var rare []string
	seen := map[string]bool{}
	for i := 0; i+minTrigramRunes <= len(runes) && len(seen) < maxTrigramProbes && len(rare) < enoughRareTrigrams; i++ {
		tri := ftsPhrase(string(runes[i : i+minTrigramRunes]))
		if seen[tri] {
			continue
		}
		seen[tri] = true
		var n int
		err := q.row(ctx, `SELECT count(*) FROM (SELECT 1 FROM call_search_fts WHERE call_search_fts MATCH ? LIMIT ?)`,
			tri, broadTextMatches).Scan(&n)
		if err != nil {
			return nil, fmt.Errorf("store: trigram count: %w", err)
		}
		if n < broadTextMatches {
			rare = append(rare, tri)
		}
	}
	return rare, nil
}

// searchIDs reads the call ids a query returns.
func (q Q) searchIDs(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: text matches: %w", err)
	}
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: text matches: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: text matches: %w", err)
	}
	return ids, nil
}

// ftsPhrase quotes text as one FTS5 phrase: with the trigram tokenizer,
// a substring.
func ftsPhrase(text string) string { return `"` + strings.ReplaceAll(text, `"`, `""`) + `"` }

// textScan is the text filter without a search index.
func textScan(text string) (string, []any) {
	p := likePattern(text)
	return `(lower(c.caller) LIKE ? ESCAPE '\' OR lower(c.callee) LIKE ? ESCAPE '\'
			OR EXISTS (SELECT 1 FROM call_participants cp WHERE cp.tenant_id = c.tenant_id AND cp.call_id = c.id
				AND (lower(cp.name) LIKE ? ESCAPE '\' OR lower(cp.aor) LIKE ? ESCAPE '\'))
			OR EXISTS (SELECT 1 FROM call_notes cn WHERE cn.tenant_id = c.tenant_id AND cn.call_id = c.id AND lower(cn.body) LIKE ? ESCAPE '\'))`,
		[]any{p, p, p, p, p}
}

// caseVariants spells s in every case its letters have (É and é, K and k
// and the Kelvin sign): SQLite's LIKE folds ASCII only, and short queries
// are matched without the trigram index, which folds all of Unicode.
// ASCII letters keep one spelling since LIKE folds them.
func caseVariants(s string) []string {
	out := []string{""}
	for _, r := range s {
		alts := []rune{r}
		if r >= utf8.RuneSelf {
			for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
				if unicode.ToLower(f) == unicode.ToLower(r) {
					alts = append(alts, f)
				}
			}
		}
		next := make([]string, 0, len(out)*len(alts))
		for _, p := range out {
			for _, a := range alts {
				next = append(next, p+string(a))
			}
		}
		out = next
	}
	return out
}
