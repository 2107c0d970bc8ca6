package teams

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// TestEveryCallingRequestIsInTheContract drives every method of Calls
// against a recording server and checks that each request it makes
// (method and path, the call id as {id}) is a row of
// docs/microsoft-contract.md. A new Calls method without a test
// case here fails too, so no calling request escapes the table.
func TestEveryCallingRequestIsInTheContract(t *testing.T) {
	doc, err := os.ReadFile("../../docs/microsoft-contract.md")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Method+" "+strings.Replace(r.URL.Path, "/call-7f3a", "/{id}", 1)] = true
		mu.Unlock()
		if strings.HasSuffix(r.URL.Path, "/updateRecordingStatus") {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"@odata.type":"#microsoft.graph.updateRecordingStatusOperation","status":"completed"}`))
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	c := NewCalls(Endpoints{GraphURL: srv.URL}, srv.Client(), "token")
	ctx := context.Background()
	const id = "call-7f3a"
	cases := map[string]func() error{
		"Answer":                func() error { return c.Answer(ctx, id, "https://bot.example/api/teams/calling", "blob") },
		"Reject":                func() error { return c.Reject(ctx, id, "none") },
		"UpdateRecordingStatus": func() error { return c.UpdateRecordingStatus(ctx, id, "recording", id) },
		"KeepAlive":             func() error { return c.KeepAlive(ctx, id) },
		"Hangup":                func() error { return c.Hangup(ctx, id) },
	}
	typ := reflect.TypeOf(c)
	for i := range typ.NumMethod() {
		if _, ok := cases[typ.Method(i).Name]; !ok {
			t.Errorf("Calls.%s has no case here: add it, and its row to the contract", typ.Method(i).Name)
		}
	}
	for name, run := range cases {
		if err := run(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	rows := map[string]bool{}
	for _, m := range regexp.MustCompile("\\| `(GET|POST|PUT|PATCH|DELETE) (/v1\\.0/[^` ]+)`").FindAllStringSubmatch(string(doc), -1) {
		rows[m[1]+" "+m[2]] = true
	}
	if len(rows) < len(cases) {
		t.Fatalf("the contract lists %d calling requests, fewer than the client makes", len(rows))
	}
	if len(seen) != len(cases) {
		t.Errorf("the client made %d distinct requests for %d methods: %v", len(seen), len(cases), seen)
	}
	for req := range seen {
		if !rows[req] {
			t.Errorf("the client sends %s, which docs/microsoft-contract.md does not list", req)
		}
	}
}
