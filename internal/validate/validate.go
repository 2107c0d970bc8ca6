// Package validate collects field errors so that a request with several bad
// fields is answered once, naming each field and why.
package validate

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // timezones must resolve on machines without zoneinfo
)

// Errors maps a field name to why its value was refused.
type Errors map[string]string

// Error lists the fields, sorted, so messages are stable.
func (e Errors) Error() string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e[k]
	}
	return "validation failed: " + strings.Join(parts, "; ")
}

// Add records the first problem found with a field.
func (e Errors) Add(field, why string) {
	if _, ok := e[field]; !ok {
		e[field] = why
	}
}

// Addf records a formatted problem.
func (e Errors) Addf(field, format string, args ...any) { e.Add(field, fmt.Sprintf(format, args...)) }

// Err returns e as an error, or nil when empty.
func (e Errors) Err() error {
	if len(e) == 0 {
		return nil
	}
	return e
}

// Field is a one-field error.
func Field(field, why string) error { return Errors{field: why} }

// Timezone accepts "" (inherit) or an IANA zone name.
func Timezone(tz string) bool {
	if tz == "" {
		return true
	}
	_, err := time.LoadLocation(tz)
	return err == nil && tz != "Local"
}

// Languages the portal offers; "" means the default (English).
var languages = []string{"en", "de", "es", "fr", "it", "nl", "pt"}

// Languages returns the selectable display languages.
func Languages() []string { return append([]string(nil), languages...) }

// Language accepts "" or a supported language code.
func Language(l string) bool {
	if l == "" {
		return true
	}
	for _, x := range languages {
		if x == l {
			return true
		}
	}
	return false
}

var (
	emailRe     = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	phoneRe     = regexp.MustCompile(`^\+?[0-9]{3,20}$`)
	teamsIDRe   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	screenRe    = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9.-]{0,62}\\)?[A-Za-z0-9._@-]{1,104}$`)
	loginRe     = regexp.MustCompile(`^[A-Za-z0-9._@+-]{2,254}$`)
	digitsRe    = regexp.MustCompile(`^[0-9]{3,16}$`)
	accountNoRe = regexp.MustCompile(`^[0-9]{4,20}$`)
)

// Email accepts a plausible address (delivery proves the rest).
func Email(s string) bool { return len(s) <= 254 && emailRe.MatchString(s) }

// Extension accepts a phone number or extension of at least 3 digits
// (optionally with a leading +), or a Teams user id (a GUID).
func Extension(s string) bool { return phoneRe.MatchString(s) || teamsIDRe.MatchString(s) }

// ScreenUsername accepts NETBIOS\login, DOMAIN\login or login.
func ScreenUsername(s string) bool { return screenRe.MatchString(s) }

// Login accepts 2–254 characters of letters, digits and . _ @ + -.
func Login(s string) bool { return loginRe.MatchString(s) }

// PIN accepts 3–16 digits.
func PIN(s string) bool { return digitsRe.MatchString(s) }

// AccountNumber accepts 4–20 digits, like 3100008477.
func AccountNumber(s string) bool { return accountNoRe.MatchString(s) }

// Name accepts 1–200 characters after trimming, without control characters.
func Name(s string) bool {
	t := strings.TrimSpace(s)
	if t == "" || len([]rune(t)) > 200 {
		return false
	}
	for _, r := range t {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
