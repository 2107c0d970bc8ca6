package store

import (
	"context"
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

// textWhere is the Recordings text filter over calls c: text is a substring
// of the caller, the callee, a participant's name or address, or a note, in
// any case. PostgreSQL matches the call's search_text through its pg_trgm
// index. SQLite matches call_search through FTS5 trigrams; a text shorter
// than a trigram, or broad (see broadTextMatches), is checked per call with
// LIKE in each case variant.
func textWhere(d Dialect, broad bool, tenantID, text string) (string, []any) {
	switch {
	case d == anyEngine || strings.Contains(text, searchSep):
		return textScan(text)
	case d == Postgres:
		return `c.search_text LIKE ? ESCAPE '\'`, []any{likePattern(text)}
	case !broad && utf8.RuneCountInString(text) >= minTrigramRunes:
		return `c.id IN (SELECT s.call_id FROM call_search s WHERE s.tenant_id = ? AND s.id IN
			(SELECT f.rowid FROM call_search_fts f WHERE call_search_fts MATCH ?))`, []any{tenantID, ftsPhrase(text)}
	}
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	variants := caseVariants(text)
	conds := make([]string, len(variants))
	args := []any{tenantID}
	for i, v := range variants {
		conds[i] = `s.body LIKE ? ESCAPE '\'`
		args = append(args, "%"+esc.Replace(v)+"%")
	}
	return `EXISTS (SELECT 1 FROM call_search s WHERE s.tenant_id = ? AND s.call_id = c.id AND (` +
		strings.Join(conds, " OR ") + `))`, args
}

// broadText reports whether the tenant's calls match text so often on
// SQLite that textWhere should check it per call. It reads at most
// broadTextMatches entries of the trigram index.
func (q Q) broadText(ctx context.Context, tenantID, text string) (bool, error) {
	if q.db.dialect != SQLite || text == "" || strings.Contains(text, searchSep) ||
		utf8.RuneCountInString(text) < minTrigramRunes || len(caseVariants(text)) > maxCaseVariants {
		return false, nil
	}
	var n int
	err := q.row(ctx, `SELECT count(*) FROM (SELECT 1 FROM call_search_fts f JOIN call_search s ON s.id = f.rowid
		WHERE call_search_fts MATCH ? AND s.tenant_id = ? LIMIT ?)`, ftsPhrase(text), tenantID, broadTextMatches).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: text matches: %w", err)
	}
	return n >= broadTextMatches, nil
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
