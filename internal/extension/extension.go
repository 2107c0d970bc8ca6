// Package extension matches the addresses a call's parties carry (SIP
// and tel URIs in SIPREC metadata) to the extensions users are given.
package extension

import (
	"slices"
	"strings"
	"unicode"
)

// Candidates are the spellings of an address-of-record that a user's
// extension may be listed as: the SIP URI user, digits in E.164 form with
// and without "+", and the bare user part (a Teams user id).
func Candidates(aor string) []string {
	user := Of(aor)
	if user == "" {
		return nil
	}
	out := []string{user, strings.ToLower(user)}
	digits := strings.Map(func(r rune) rune {
		if unicode.IsDigit(r) {
			return r
		}
		if r == '-' || r == '.' || r == ' ' || r == '(' || r == ')' || r == '+' {
			return -1
		}
		return 'x'
	}, user)
	if digits != "" && !strings.Contains(digits, "x") {
		out = append(out, digits, "+"+digits)
		if strings.HasPrefix(digits, "00") {
			out = append(out, "+"+digits[2:], digits[2:])
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Of returns the extension an address names: its user part, without
// scheme, host or parameters ("sip:2001@pbx.example" → "2001").
func Of(aor string) string {
	s := strings.TrimSpace(aor)
	s = strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(s, "sips:"), "sip:"), "tel:")
	user, _, _ := strings.Cut(s, "@")
	user, _, _ = strings.Cut(user, ";")
	return user
}
