package teams

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The client runs the module's connect handshake once, then routes every
// call with the discovered target and forest, as public code that drives
// the real service does.
func TestAdminDiscoversThenRoutes(t *testing.T) {
	var discoveries int
	var seen []http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == discoveryPath {
			discoveries++
			_, _ = w.Write([]byte(`{"Endpoints":{"ConfigApiEndpoint":"api.example","AdminServiceEndpoint":"admin4.example"},"Headers":{"X-MS-Forest":"emea7"}}`))
			return
		}
		seen = append(seen, r.Header.Clone())
		switch {
		case strings.HasPrefix(r.URL.Path, instancesPath):
			_, _ = w.Write([]byte(`{"applicationInstances":[],"skipToken":null}`))
		case r.URL.Path == assignmentsPath:
			_, _ = w.Write([]byte(`[]`))
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":{"code":"NotFound","message":"no such path"}}`))
		}
	}))
	defer srv.Close()
	a := NewAdmin(Endpoints{TeamsAdminURL: srv.URL}, srv.Client(), "tok")
	ctx := context.Background()
	if _, err := a.Instances(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.GroupAssignments(ctx); err != nil {
		t.Fatal(err)
	}
	if discoveries != 1 || len(seen) != 2 {
		t.Fatalf("%d discoveries, %d calls", discoveries, len(seen))
	}
	for _, h := range seen {
		if h.Get("X-MS-Target-Uri") != "https://admin4.example/" || h.Get("X-MS-Forest") != "emea7" || h.Get("Authorization") != "Bearer tok" {
			t.Fatalf("headers %v", h)
		}
	}
	// A verified path's 404 is "not found"; an unverified one's is the path's.
	if err := a.DeletePolicy(ctx, "P"); !IsNotFound(err) || IsUnverified(err) {
		t.Fatalf("verified 404: %v", err)
	}
	err := a.RemoveGroupAssignment(ctx, "g1")
	if !IsUnverified(err) || IsNotFound(err) || !strings.Contains(err.Error(), "Remove-CsGroupPolicyAssignment; use the PowerShell path (404 Not Found") {
		t.Fatalf("unverified 404: %v", err)
	}
}
