package teams

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// pathLiteral finds string literals that start a Microsoft path ("/groups",
// "/Skype.Policy/…", "/oauth2/v2.0/token").
var pathLiteral = regexp.MustCompile(`"(/[A-Za-z.$][A-Za-z0-9._$/{}-]*)[?/]?"`)

// TestEveryMicrosoftCallIsInTheContract keeps the client and the contract
// table together: every path the clients (admin side and calls.go) send to
// Microsoft must appear in docs/microsoft-contract.md, where its public
// source is named.
func TestEveryMicrosoftCallIsInTheContract(t *testing.T) {
	docs, err := filepath.Glob("../../docs/microsoft-contract*.md")
	if err != nil || len(docs) == 0 {
		t.Fatalf("no contract files: %v", err)
	}
	var table strings.Builder
	for _, d := range docs {
		b, err := os.ReadFile(d)
		if err != nil {
			t.Fatal(err)
		}
		table.Write(b)
	}
	var sources []string
	for _, dir := range []string{".", "../integration", "../jwks"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if !strings.HasSuffix(f, "_test.go") {
				sources = append(sources, f)
			}
		}
	}
	found := 0
	for _, f := range sources {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range pathLiteral.FindAllStringSubmatch(string(b), -1) {
			found++
			if !strings.Contains(table.String(), m[1]) {
				t.Errorf("%s calls %q, which no docs/microsoft-contract*.md names", f, m[1])
			}
		}
	}
	if found < 10 {
		t.Fatalf("found only %d Microsoft paths in the clients: the scan is broken", found)
	}
}
