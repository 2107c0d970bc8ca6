package integration

import (
	"slices"
	"strings"
	"testing"

	"callrec/internal/brand"
)

// readPSString reads a single-quoted string at the start of s as
// PowerShell's tokenizer does: any of ' ‘ ’ ‚ ‛ is a quote; a quote
// followed by another stands for the second one; a lone quote ends the
// string. It returns the value and what follows the string.
func readPSString(t *testing.T, s string) (string, string) {
	t.Helper()
	rs := []rune(s)
	if len(rs) == 0 || !isPSQuote(rs[0]) {
		t.Fatalf("not a single-quoted string: %q", s)
	}
	var b strings.Builder
	for i := 1; i < len(rs); i++ {
		if isPSQuote(rs[i]) {
			if i+1 < len(rs) && isPSQuote(rs[i+1]) {
				b.WriteRune(rs[i+1])
				i++
				continue
			}
			return b.String(), string(rs[i+1:])
		}
		b.WriteRune(rs[i])
	}
	t.Fatalf("unterminated string: %q", s)
	return "", ""
}

// TestPSQuotesEveryQuote: a value holding any of PowerShell's quote
// characters comes back whole and nothing after it runs.
func TestPSQuotesEveryQuote(t *testing.T) {
	for _, q := range []string{"'", "\u2018", "\u2019", "\u201a", "\u201b"} {
		name := "Contoso" + q + "; Remove-Item -Recurse C:\\ ; " + q + q + "x" + q
		got, rest := readPSString(t, ps(name)+" -Force")
		if got != name || rest != " -Force" {
			t.Errorf("quote %U: read back %q, then %q", []rune(q)[0], got, rest)
		}
	}
}

// psTokens splits a script into what PowerShell runs (code), the values
// of its single-quoted strings, and its comments.
func psTokens(t *testing.T, script string) (code string, values, comments []string) {
	t.Helper()
	var b strings.Builder
	rs := []rune(script)
	for i := 0; i < len(rs); i++ {
		switch {
		case isPSQuote(rs[i]):
			v, rest := readPSString(t, string(rs[i:]))
			values = append(values, v)
			i = len(rs) - len([]rune(rest)) - 1
		case rs[i] == '#':
			j := i
			for j < len(rs) && rs[j] != '\n' && rs[j] != '\r' {
				j++
			}
			comments = append(comments, string(rs[i:j]))
			i = j - 1
		default:
			b.WriteRune(rs[i])
		}
	}
	return b.String(), values, comments
}

// TestScriptsQuoteNames: names made of every PowerShell quote character
// and line breaks reach the scripts as whole values; nothing of them runs.
func TestScriptsQuoteNames(t *testing.T) {
	evil := "Rec\u2019d Users'; Stop-Computer; \u2018\u201a\u201b\nStop-Computer"
	v := View{OrgID: "11111111-2222-3333-4444-555555555555", OrgDomain: "contoso.example\nStop-Computer", Config: DefaultConfig()}
	v.Config.GroupName, v.Config.PolicyName, v.Config.AppName = evil, evil, evil
	for _, script := range []string{connectScript(v, "app-id", "callrec"), disconnectScript(v, DefaultDisconnect(), "callrec")} {
		if code, _, _ := psTokens(t, script); strings.Contains(code, "Stop-Computer") {
			t.Fatalf("a name runs as code:\n%s", code)
		}
	}
	_, values, _ := psTokens(t, connectScript(v, "app-id", "callrec"))
	for _, want := range []string{evil, "Tag:" + evil} {
		if !slices.Contains(values, want) {
			t.Errorf("no string value %q in %q", want, values)
		}
	}
}

// TestScriptsCarryTheBrand: with a provider brand the scripts name the
// brand and the brand's Microsoft names, never the vendor's.
func TestScriptsCarryTheBrand(t *testing.T) {
	b := brand.Brand{ProductName: "Acme Voice"}
	v := View{OrgID: "11111111-2222-3333-4444-555555555555", OrgDomain: "contoso.example", Config: DefaultConfigFor(b)}
	for _, script := range []string{connectScript(v, "app-id", b.ProductName), disconnectScript(v, DefaultDisconnect(), b.ProductName)} {
		if strings.Contains(strings.ToLower(script), "callrec") {
			t.Fatalf("the vendor's name in a branded script:\n%s", script)
		}
		if !strings.Contains(script, "# Acme Voice:") || !strings.Contains(script, "AcmeVoiceRecordingPolicy") {
			t.Fatalf("the brand is missing:\n%s", script)
		}
	}
}
