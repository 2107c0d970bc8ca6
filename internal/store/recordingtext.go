package store

import (
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

// textWhere is the Recordings text filter over calls c: text is a substring
// of the caller, the callee, a participant's name or address, or a note, in
// any case. PostgreSQL matches the call's search_text through its pg_trgm
// index; SQLite matches call_search through FTS5 trigrams, or for queries
// shorter than a trigram scans it with LIKE in each case variant.
func textWhere(d Dialect, tenantID, text string) (string, []any) {
	switch {
	case d == anyEngine || strings.Contains(text, searchSep):
		return textScan(text)
	case d == Postgres:
		return `c.search_text LIKE ? ESCAPE '\'`, []any{likePattern(text)}
	case utf8.RuneCountInString(text) >= minTrigramRunes:
		return `c.id IN (SELECT s.call_id FROM call_search s WHERE s.tenant_id = ? AND s.id IN
			(SELECT f.rowid FROM call_search_fts f WHERE call_search_fts MATCH ?))`,
			[]any{tenantID, `"` + strings.ReplaceAll(text, `"`, `""`) + `"`}
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
