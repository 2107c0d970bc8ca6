package ui

import (
	"fmt"
	"html/template"
	"strings"
	"unicode"
	"unicode/utf8"
)

// sentence makes a message read as one sentence: a capital first letter
// and a full stop, whichever door (the recorder, Microsoft's return, a
// form) the words came from.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if last, _ := utf8.DecodeLastRuneInString(s); !strings.ContainsRune(".!?:…", last) {
		s += "."
	}
	return s
}

// byteSize writes a size as people read it (KB, MB, GB, powers of 1,024),
// not as "76931 bytes".
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 3; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	if v >= 10 {
		return fmt.Sprintf("%.0f %cB", v, "KMGT"[exp])
	}
	return fmt.Sprintf("%.1f %cB", v, "KMGT"[exp])
}

// roleCell is a role's name for a table cell: "Teams Supervisor |
// Supervisor" breaks at its bar, never inside a word pair.
func roleCell(id string) template.HTML {
	parts := strings.Split(roleName(id), " | ")
	for i, p := range parts {
		if i < len(parts)-1 {
			p += " |"
		}
		parts[i] = `<span class="nowrap">` + template.HTMLEscapeString(p) + `</span>`
	}
	return template.HTML(strings.Join(parts, " "))
}
