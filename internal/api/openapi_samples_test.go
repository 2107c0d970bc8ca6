package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"callrec/internal/analytics"
	"callrec/internal/api"
	"callrec/internal/blob"
	"callrec/internal/brand"
	"callrec/internal/evaluations"
	"callrec/internal/events"
	"callrec/internal/integration"
	"callrec/internal/msemu"
	"callrec/internal/principal"
	"callrec/internal/recorder"
	"callrec/internal/recordings"
	"callrec/internal/secretbox"
	"callrec/internal/store/storetest"
	"callrec/internal/teams"
	"callrec/internal/transcripts"
)

// The logo is sent as an image body, which kin-openapi reads as a file.
func init() {
	openapi3filter.RegisterBodyDecoder("image/svg+xml", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("image/png", openapi3filter.FileBodyDecoder)
}

// notExercised lists the documented operations the sample requests do not
// reach with a success, and why. Keep it short: every other operation must
// answer a sample with a documented 2xx or 3xx.
var notExercised = map[string]string{
	"GET /api/v1/calls/{id}/listen": "a WebSocket upgrade (101) needs a live call streaming from a recorder node; the route's 409 error body is validated",
}

// contract is the API served with everything a route can need (a blob
// store for audio, the event bus, the Teams integration against the
// Microsoft emulator), and checks every exchange against api/openapi.yaml.
type contract struct {
	*env
	router   routers.Router
	blobs    *blob.Disk
	msURL    string
	integ    *integration.Service
	noFollow *http.Client
	seen     map[string][]int // routeKey → statuses answered
}

func newContract(t *testing.T, b storetest.Backend, doc *openapi3.T) *contract {
	t.Helper()
	e := newEnv(t, b)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	disk, err := blob.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, ms := httptest.NewUnstartedServer(nil), httptest.NewUnstartedServer(nil)
	srv.Start()
	ms.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(ms.Close)
	emu, err := msemu.New(msemu.Options{BaseURL: ms.URL, Clock: e.clock, AppRedirectPrefix: srv.URL + "/", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ms.Config.Handler = emu
	cfg := emu.Config()
	box, err := secretbox.Load("", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// Two attempts per step, and Sleep moves the fake clock: a fault
	// fails a step at once.
	integ := integration.New(e.db, e.accounts, integration.Options{Box: box, Now: e.clock.Now, Log: log, Attempts: 2,
		Endpoints: teams.Endpoints{LoginURL: cfg.LoginURL, GraphURL: cfg.GraphURL, TeamsAdminURL: cfg.TeamsAdminURL,
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: srv.URL + api.CallbackPath},
		Sleep: func(_ context.Context, d time.Duration) error { e.clock.Advance(d); return nil }})
	mux := http.NewServeMux()
	bus := events.NewLocal()
	calls := &recordings.Service{DB: e.db, Accounts: e.accounts, Blobs: disk, Bus: bus, Log: log, Now: e.db.Now}
	(&api.Handler{Accounts: e.accounts, Auth: e.auth, Calls: calls, Evaluations: &evaluations.Service{DB: e.db, Accounts: e.accounts, Calls: calls},
		Log: log, Recordings: &recorder.Library{Blobs: disk},
		Events: bus, Integrations: integ, Brand: brand.New(e.db, e.clock.Now), SSO: e.sso,
		Transcripts: &transcripts.Service{DB: e.db, Accounts: e.accounts, Recordings: calls, Box: box, Bus: bus, Log: log, Now: e.db.Now},
		Analytics:   &analytics.Service{DB: e.db, Accounts: e.accounts, Recordings: calls, Box: box, Log: log, Now: e.db.Now}}).Register(mux)
	srv.Config.Handler = (&principal.Resolver{Auth: e.auth, DB: e.db}).Middleware(mux)
	e.srv = srv
	return &contract{env: e, router: router, blobs: disk, msURL: ms.URL, integ: integ, seen: map[string][]int{},
		noFollow: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// req is one sample request and the status it must answer.
type req struct {
	c      *client
	method string
	path   string
	body   any    // JSON, or a string sent as is with ctype
	ctype  string // Content-Type of a string body
	header map[string]string
	want   int
	// invalid marks a request that breaks the document on purpose (to
	// draw an error): only the response is validated.
	invalid bool
	// stream reads only the head of an endless answer.
	stream bool
}

// exchange is what came back.
type exchange struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

func (x *exchange) str(name string) string {
	s, _ := x.body[name].(string)
	return s
}

// expect sends r, checks its status, and validates the request (unless
// invalid) and the response against the document: status, headers,
// content type and body, and no object field the document does not name.
func (k *contract) expect(r req) *exchange {
	t := k.t
	t.Helper()
	var data []byte
	ctype := r.ctype
	switch b := r.body.(type) {
	case nil:
	case string:
		data = []byte(b)
	default:
		data, _ = json.Marshal(b)
		ctype = "application/json"
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, r.method, k.srv.URL+r.path, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if data != nil {
		hr.Header.Set("Content-Type", ctype)
	}
	if r.c != nil {
		r.c.authorize(hr)
	}
	for name, v := range r.header {
		hr.Header.Set(name, v)
	}
	label := r.method + " " + r.path
	route, params, err := k.router.FindRoute(hr)
	if err != nil {
		t.Errorf("%s: no operation in the document: %v", label, err)
		return &exchange{}
	}
	in := &openapi3filter.RequestValidationInput{Request: hr, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	if !r.invalid {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			t.Errorf("%s: the request does not fit the document: %v", label, err)
		}
		hr.Body = io.NopCloser(bytes.NewReader(data))
	}
	res, err := k.noFollow.Do(hr)
	if err != nil {
		t.Fatalf("%s: %v", label, err)
	}
	defer res.Body.Close()
	x := &exchange{status: res.StatusCode, header: res.Header}
	if r.stream {
		head := make([]byte, 64)
		n, _ := res.Body.Read(head)
		x.raw = string(head[:n])
	} else {
		raw, _ := io.ReadAll(res.Body)
		x.raw = string(raw)
	}
	_ = json.Unmarshal([]byte(x.raw), &x.body)
	if x.status != r.want {
		t.Errorf("%s: status %d, want %d; %s", label, x.status, r.want, x.raw)
		return x
	}
	k.validate(label, in, x, r.stream)
	return x
}

// validate holds a response to the operation's documented responses.
func (k *contract) validate(label string, in *openapi3filter.RequestValidationInput, x *exchange, stream bool) {
	t := k.t
	t.Helper()
	route := in.Route
	base := ""
	if route.Server != nil {
		base = strings.TrimSuffix(route.Server.URL, "/")
	}
	key := routeKey(route.Method, base+route.Path)
	k.seen[key] = append(k.seen[key], x.status)
	if x.status < 400 && route.Operation.Responses.Status(x.status) == nil {
		t.Errorf("%s: status %d is not documented (only default would match)", label, x.status)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: x.status, Header: x.header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	body := x.raw
	if stream {
		body = ""
	}
	out.SetBodyBytes([]byte(body))
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s: the %d answer does not fit the document: %v\n%s", label, x.status, err, x.raw)
		return
	}
	if mt, _, _ := mime.ParseMediaType(x.header.Get("Content-Type")); mt == "application/json" {
		schema := responseSchema(route.Operation, x.status)
		var v any
		if err := json.Unmarshal([]byte(x.raw), &v); err != nil {
			t.Errorf("%s: not JSON: %v", label, err)
			return
		}
		var extra []string
		undeclared([]*openapi3.Schema{schema}, v, "", &extra)
		if len(extra) > 0 {
			t.Errorf("%s: the %d answer has fields the document does not name: %s", label, x.status, strings.Join(extra, ", "))
		}
	}
}

func responseSchema(op *openapi3.Operation, status int) *openapi3.Schema {
	ref := op.Responses.Status(status)
	if ref == nil {
		ref = op.Responses.Default()
	}
	if ref == nil || ref.Value == nil {
		return nil
	}
	mt := ref.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil {
		return nil
	}
	return mt.Schema.Value
}

// undeclared lists the object fields of v that none of the schemas (with
// their allOf, oneOf and anyOf branches) names. Objects whose schemas name
// no properties, or allow additional ones, are free-form and not checked.
// This is stricter than the document (which lets fields be added): it
// keeps the document from falling behind the API.
func undeclared(schemas []*openapi3.Schema, v any, at string, out *[]string) {
	set := flatten(schemas)
	switch v := v.(type) {
	case map[string]any:
		props := map[string][]*openapi3.Schema{}
		var more []*openapi3.Schema
		open := true
		for _, s := range set {
			for name, p := range s.Properties {
				props[name] = append(props[name], p.Value)
				open = false
			}
			if ap := s.AdditionalProperties; (ap.Has != nil && *ap.Has) || ap.Schema != nil {
				if ap.Schema != nil {
					more = append(more, ap.Schema.Value)
				}
				open = true
			}
		}
		for name, x := range v {
			switch ps, ok := props[name]; {
			case ok:
				undeclared(ps, x, at+"."+name, out)
			case open:
				undeclared(more, x, at+"."+name, out)
			default:
				*out = append(*out, at+"."+name)
			}
		}
	case []any:
		var items []*openapi3.Schema
		for _, s := range set {
			if s.Items != nil {
				items = append(items, s.Items.Value)
			}
		}
		for i, x := range v {
			undeclared(items, x, fmt.Sprintf("%s[%d]", at, i), out)
		}
	}
}

func flatten(schemas []*openapi3.Schema) []*openapi3.Schema {
	var out []*openapi3.Schema
	for _, s := range schemas {
		if s == nil {
			continue
		}
		out = append(out, s)
		for _, refs := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
			for _, r := range refs {
				out = append(out, flatten([]*openapi3.Schema{r.Value})...)
			}
		}
	}
	return out
}

// authorize sets the client's credentials and headers on a request.
func (c *client) authorize(r *http.Request) {
	if c.bearer != "" {
		r.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	if c.cookie != "" {
		r.AddCookie(&http.Cookie{Name: principal.CookieName, Value: c.cookie})
		if c.csrf != "" {
			r.Header.Set("X-CSRF-Token", c.csrf)
		}
	}
	if c.tenant != "" {
		r.Header.Set("X-Tenant-ID", c.tenant)
	}
	if c.player {
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		r.Header.Set("Sec-Fetch-Mode", "cors")
		r.Header.Set("Sec-Fetch-Dest", "empty")
	}
}

// TestOpenAPISampleResponses drives one server per database through a
// representative request of every documented operation, and some error
// bodies, and validates each exchange against api/openapi.yaml.
func TestOpenAPISampleResponses(t *testing.T) {
	doc := loadSpec(t)
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		k := newContract(t, b, doc)
		k.sessionSamples()
		k.adminSamples()
		k.workspaceSamples()
		k.integrationSamples()
		k.providerSamples()
		k.errorSamples()
		k.evaluationSamples()
		k.analyticsSamples()
		k.checkCoverage(doc)
	})
}

// checkCoverage fails for a documented operation that answered no sample
// with a success and is not in notExercised.
func (k *contract) checkCoverage(doc *openapi3.T) {
	t := k.t
	t.Helper()
	var missing []string
	for key := range documentedRoutes(t, doc) {
		ok := slices.ContainsFunc(k.seen[key], func(s int) bool { return s < 400 })
		_, excused := notExercised[key]
		switch {
		case !ok && !excused:
			missing = append(missing, key)
		case ok && excused:
			t.Errorf("%s answered a sample with a success: take it out of notExercised", key)
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("no successful sample of %s: add one, or say in notExercised why not", m)
	}
}
