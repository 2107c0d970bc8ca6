package api_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"callrec/internal/analytics"
	"callrec/internal/api"
	"callrec/internal/integration"
	"callrec/internal/sso"
	"callrec/internal/transcripts"
)

// specPath is the REST contract, relative to this package.
const specPath = "../../api/openapi.yaml"

var (
	specOnce sync.Once
	spec     *openapi3.T
	specErr  error
)

// loadSpec parses api/openapi.yaml once per test binary and validates it
// as an OpenAPI document (references resolve, schemas are schemas,
// examples and defaults fit them).
func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	specOnce.Do(func() {
		loader := openapi3.NewLoader()
		spec, specErr = loader.LoadFromFile(specPath)
		if specErr != nil {
			return
		}
		specErr = spec.Validate(context.Background(), openapi3.EnableMultiError(), openapi3.EnableExamplesValidation())
	})
	if specErr != nil {
		t.Fatalf("%s: %v", specPath, specErr)
	}
	return spec
}

// registeredRoutes is every route a fully configured API registers. The
// Teams integration's routes exist only with an integration service, so
// one (never called) is set.
func registeredRoutes() []api.Route {
	h := &api.Handler{Integrations: &integration.Service{}, SSO: &sso.Service{}, Transcripts: &transcripts.Service{}, Analytics: &analytics.Service{}}
	h.Register(http.NewServeMux())
	return h.Routes()
}

var (
	wildcard  = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)(\.\.\.)?\}`)
	exactMark = "{$}"
)

// routeKey is "METHOD /full/path" with ServeMux's {name...} written as
// OpenAPI's {name} and the exact-match marker {$} dropped: both mean the
// same path to a client.
func routeKey(method, path string) string {
	path = strings.TrimSuffix(path, exactMark)
	path = wildcard.ReplaceAllString(path, "{$1}")
	return strings.ToUpper(method) + " " + path
}

// operation is one documented operation with the path item it is under.
type operation struct {
	op   *openapi3.Operation
	item *openapi3.PathItem
}

// documentedRoutes maps the document's operations by routeKey, each path
// prefixed with its server's path (the path item's own servers, else the
// document's).
func documentedRoutes(t *testing.T, doc *openapi3.T) map[string]operation {
	t.Helper()
	out := map[string]operation{}
	for path, item := range doc.Paths.Map() {
		servers := doc.Servers
		if len(item.Servers) > 0 {
			servers = item.Servers
		}
		if len(servers) != 1 {
			t.Fatalf("%s: want exactly one server, have %d", path, len(servers))
		}
		base := strings.TrimSuffix(servers[0].URL, "/")
		for method, op := range item.Operations() {
			out[routeKey(method, base+path)] = operation{op, item}
		}
	}
	return out
}

// TestOpenAPICoversEveryRoute fails when a route is registered but not
// documented, or documented but not registered, when its documented rule
// (public, x-permission, x-tenant with the X-Tenant-ID header, x-stages)
// is not the registered one, and when the document is not a valid OpenAPI
// document.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	doc := loadSpec(t)
	documented := documentedRoutes(t, doc)
	registered := map[string]bool{}
	for _, r := range registeredRoutes() {
		method, path, ok := strings.Cut(r.Pattern, " ")
		if !ok || !strings.HasPrefix(path, "/") {
			t.Errorf("route %q: want \"METHOD /path\"", r.Pattern)
			continue
		}
		key := routeKey(method, path)
		if registered[key] {
			t.Errorf("registered twice: %s", key)
		}
		registered[key] = true
		o, found := documented[key]
		if !found {
			t.Errorf("registered but not in %s: %s", specPath, key)
			continue
		}
		checkRule(t, key, r, o)
	}
	for key := range documented {
		if !registered[key] {
			t.Errorf("in %s but not registered: %s", specPath, key)
		}
	}
	t.Logf("%d routes registered, %d operations documented", len(registered), len(documented))
}

// checkRule compares a route's registered rule with its documentation.
func checkRule(t *testing.T, key string, r api.Route, o operation) {
	t.Helper()
	public := o.op.Security != nil && len(*o.op.Security) == 0
	if public != r.Public {
		t.Errorf("%s: public is %v, documented security: [] is %v", key, r.Public, public)
	}
	if got := extString(o.op, "x-permission"); got != string(r.Permission) {
		t.Errorf("%s: x-permission %q, registered %q", key, got, r.Permission)
	}
	if got := extString(o.op, "x-rule"); got != r.Rule.Name {
		t.Errorf("%s: x-rule %q, registered %q", key, got, r.Rule.Name)
	}
	tenant, _ := o.op.Extensions["x-tenant"].(bool)
	if tenant != r.Tenant {
		t.Errorf("%s: x-tenant %v, registered %v", key, tenant, r.Tenant)
	}
	if r.Tenant && !hasHeader(o, "X-Tenant-ID") {
		t.Errorf("%s: needs a tenant but does not document the X-Tenant-ID header", key)
	}
	var stages []string
	if list, ok := o.op.Extensions["x-stages"].([]any); ok {
		for _, s := range list {
			stages = append(stages, fmt.Sprint(s))
		}
	}
	if !slices.Equal(stages, r.Stages) {
		t.Errorf("%s: x-stages %v, registered %v", key, stages, r.Stages)
	}
}

func extString(op *openapi3.Operation, name string) string {
	s, _ := op.Extensions[name].(string)
	return s
}

func hasHeader(o operation, name string) bool {
	for _, params := range []openapi3.Parameters{o.item.Parameters, o.op.Parameters} {
		if p := params.GetByInAndName(openapi3.ParameterInHeader, name); p != nil {
			return true
		}
	}
	return false
}
