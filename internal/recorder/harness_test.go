package recorder_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"callrec/internal/account"
	"callrec/internal/api"
	"callrec/internal/auth"
	"callrec/internal/blob"
	"callrec/internal/events"
	"callrec/internal/principal"
	"callrec/internal/recorder"
	"callrec/internal/recordings"
	"callrec/internal/roles"
	"callrec/internal/siprecload"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// flaky is a blob store that can be taken down and brought back, counts
// uploads, and can hold an upload in flight (hold).
type flaky struct {
	blob.Store
	mu   sync.Mutex
	down bool
	puts []string // every upload's key, failed or not
	hold func()   // run at the start of each Put, when set
}

func (f *flaky) setDown(d bool) { f.mu.Lock(); f.down = d; f.mu.Unlock() }

func (f *flaky) uploads() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.puts...)
}

func (f *flaky) Put(ctx context.Context, key, path string) error {
	f.mu.Lock()
	f.puts = append(f.puts, key)
	down, hold := f.down, f.hold
	f.mu.Unlock()
	if hold != nil {
		hold()
	}
	if down {
		return errors.New("blob store unreachable")
	}
	return f.Store.Put(ctx, key, path)
}

func (f *flaky) Delete(ctx context.Context, key string) error {
	f.mu.Lock()
	down := f.down
	f.mu.Unlock()
	if down {
		return errors.New("blob store unreachable")
	}
	return f.Store.Delete(ctx, key)
}

// env is a recorder, the API and a SIPREC client on 127.0.0.1.
type env struct {
	t       *testing.T
	db      *store.DB
	rec     *recorder.Recorder
	blobs   *flaky
	bus     *events.Local
	sipAddr string
	api     *httptest.Server
	token   string
	tenant  store.Tenant
	client  *siprecload.Client
	pacer   *siprecload.Pacer
	spool   string
	logs    *lockedBuffer // what the recorder logged
	metrics *prometheus.Registry
	cfg     recorder.Config
	stopRec func() // stops the recorder as a shutdown does
}

// lockedBuffer is a log sink safe for the recorder's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var portBase = map[string]int{"sqlite": 31000, "postgres": 33000}

func newEnv(t *testing.T, b storetest.Backend, maxCalls int, tune ...func(*recorder.Config)) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	db := storetest.Open(t, b, nil)
	e := &env{t: t, db: db, bus: events.NewLocal(), logs: &lockedBuffer{}, metrics: prometheus.NewRegistry()}
	log := slog.New(slog.NewTextHandler(e.logs, nil))
	disk, err := blob.NewDisk(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	e.blobs = &flaky{Store: disk}
	accounts := account.New(db, nil)
	name, retention := "Contoso", 30
	pools := map[string]int{"call_recording": 10}
	e.tenant, err = accounts.CreateTenant(ctx, account.System, account.TenantInput{Name: &name, RetentionDays: &retention, Licenses: pools})
	if err != nil {
		t.Fatal(err)
	}
	e.mustUser(accounts, "agent", roles.User, []string{"2001"}, []string{"call_recording"}, "always")
	e.mustUser(accounts, "quiet", roles.User, []string{"2002"}, []string{"call_recording"}, "never")
	admin := e.mustUser(accounts, "boss", roles.Admin, nil, nil, "never")
	src := store.SIPSource{ID: account.NewID(), TenantID: e.tenant.ID, Name: "SBC", Address: "127.0.0.0/8", Domain: "sbc.example",
		CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := db.Q().InsertSIPSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	lo := portBase[b.Name]
	if maxCalls > 0 {
		lo += 1000
	}
	spool := filepath.Join(t.TempDir(), "spool")
	e.spool = spool
	cfg := recorder.Config{SIPAddr: "127.0.0.1:0", RTPPorts: portRange(lo), SpoolDir: spool,
		Node: "test", MaxCalls: maxCalls, RTPTimeout: 3 * time.Second, RetryEvery: 50 * time.Millisecond, Metrics: e.metrics}
	for _, f := range tune {
		f(&cfg)
	}
	e.cfg = cfg
	e.startRecorder()
	t.Cleanup(func() { cancel(); e.stopRec() })

	authSvc := auth.NewService(db, auth.Options{Log: log, PublicURL: "http://callrec.test"})
	mux := http.NewServeMux()
	calls := &recordings.Service{DB: db, Accounts: accounts, Blobs: e.blobs, Bus: e.bus, Log: log, Now: db.Now}
	(&api.Handler{Accounts: accounts, Auth: authSvc, Calls: calls, Log: log, Events: e.bus,
		Recordings: &recorder.Library{Spool: spool, Blobs: e.blobs}}).Register(mux)
	e.api = httptest.NewServer((&principal.Resolver{Auth: authSvc, DB: db}).Middleware(mux))
	t.Cleanup(e.api.Close)
	if e.token, _, err = authSvc.CreateToken(ctx, admin, "test"); err != nil {
		t.Fatal(err)
	}

	if e.client, err = siprecload.NewClient("127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.client.Close() })
	if e.pacer, err = siprecload.NewPacer("127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	go e.pacer.Run(ctx)
	return e
}

// startRecorder runs a recorder on the env's spool, database and blob store.
func (e *env) startRecorder() {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	rec, err := recorder.New(e.cfg, e.db, e.blobs, e.bus, slog.New(slog.NewTextHandler(e.logs, nil)), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	ready := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := rec.Run(ctx, func(a string) { ready <- a }); err != nil {
			e.t.Errorf("recorder: %v", err)
		}
	}()
	e.rec, e.stopRec = rec, func() { cancel(); <-done }
	select {
	case e.sipAddr = <-ready:
	case <-time.After(10 * time.Second):
		e.t.Fatal("recorder did not start")
	}
}

func portRange(lo int) string { return strconv.Itoa(lo) + "-" + strconv.Itoa(lo+999) }

func (e *env) mustUser(accounts *account.Service, login, role string, exts, licenses []string, record string) store.User {
	e.t.Helper()
	return e.mustUserIn(accounts, e.tenant.ID, login, role, exts, licenses, record)
}

func (e *env) mustUserIn(accounts *account.Service, tenantID, login, role string, exts, licenses []string, record string) store.User {
	e.t.Helper()
	name, pw, mail := login, "Secret#2026", login+"@example.com"
	u, err := accounts.CreateUser(context.Background(), account.System, tenantID, account.UserInput{Name: &name, Login: &login,
		Role: &role, Password: &pw, Email: &mail, Extensions: &exts, Licenses: &licenses, Record: &record})
	if err != nil {
		e.t.Fatalf("user %s: %v", login, err)
	}
	return u
}

// spec is a two-stream call: the agent (ext 2001) and an outside party,
// whose RTP comes from the env's pacer.
func (e *env) spec(agentAOR string) siprecload.Spec {
	return siprecload.Spec{Target: e.sipAddr, User: "sbc.example", RTPFrom: e.pacer.Addr(), Streams: []siprecload.Stream{
		{Label: "1", AOR: "sip:+4930555000@carrier.example", Name: "Caller", PT: 0},
		{Label: "2", AOR: agentAOR, Name: "Agent", PT: 0},
	}}
}

// calls lists the tenant's call rows.
func (e *env) calls() []store.Call {
	e.t.Helper()
	cs, _, err := e.db.Q().ListCalls(context.Background(), e.tenant.ID, store.CallFilter{Limit: 500})
	if err != nil {
		e.t.Fatal(err)
	}
	return cs
}

// waitEvent waits for an event of the kind about the call.
func waitEvent(t *testing.T, ch <-chan events.Event, kind, callID string, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case ev := <-ch:
			if ev.Kind == kind && (callID == "" || containsID(ev.Data, callID)) {
				return
			}
		case <-deadline:
			t.Fatalf("no %s event for %s within %v", kind, callID, timeout)
		}
	}
}

func containsID(data []byte, id string) bool {
	return id != "" && strings.Contains(string(data), `"id":"`+id+`"`)
}

// getAudio fetches a call's WAV through the API.
func (e *env) getAudio(id string, rangeHdr string) (*http.Response, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.api.URL+"/api/v1/calls/"+id+"/audio?format=wav", nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	if rangeHdr != "" {
		req.Header.Set("Range", rangeHdr)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// channels splits a stereo 16-bit WAV into left and right samples.
func channels(wav []byte) (l, r []int16) {
	pcm := wav[44:]
	for i := 0; i+3 < len(pcm); i += 4 {
		l = append(l, int16(binary.LittleEndian.Uint16(pcm[i:])))
		r = append(r, int16(binary.LittleEndian.Uint16(pcm[i+2:])))
	}
	return l, r
}

// dialTones places a call to the agent at agentAOR and streams the
// caller's tone on the first stream and the agent's on the second.
func (e *env) dialTones(ctx context.Context, agentAOR string) (*siprecload.Call, []*siprecload.Flow) {
	e.t.Helper()
	call, err := e.client.Dial(ctx, e.spec(agentAOR))
	if err != nil {
		e.t.Fatal(err)
	}
	return call, e.playTones(call)
}

// playTones streams the caller's tone on a call's first stream and the
// agent's on the second, until stopTones.
func (e *env) playTones(call *siprecload.Call) []*siprecload.Flow {
	flows := []*siprecload.Flow{
		siprecload.NewFlow(call.Targets[0], siprecload.ToneSource(callerTone)),
		siprecload.NewFlow(call.Targets[1], siprecload.ToneSource(agentTone)),
	}
	for _, f := range flows {
		e.pacer.Add(f)
	}
	return flows
}

// stopTones ends the streams of dialTones.
func (e *env) stopTones(flows []*siprecload.Flow) {
	for _, f := range flows {
		e.pacer.Remove(f)
	}
}

// twoNodes is a recorder on node A, with A's internal routes on internalA,
// and the API of another web node B on the same database (apiB); the two
// nodes sign internal requests with one key.
type twoNodes struct {
	*env
	internalA, apiB *httptest.Server
	nodeA, nodeB    *recorder.Nodes
	auth            *auth.Service
	accounts        *account.Service
}

// newTwoNodes starts both nodes: mountA adds A's internal routes, and
// configureB completes B's API handler (its Live or Recordings).
func newTwoNodes(t *testing.T, b storetest.Backend, mountA func(n *twoNodes, mux *http.ServeMux), configureB func(n *twoNodes, h *api.Handler)) *twoNodes {
	t.Helper()
	return newTwoNodesTuned(t, b, mountA, configureB)
}

// newTwoNodesTuned is newTwoNodes with A's recorder configured further.
func newTwoNodesTuned(t *testing.T, b storetest.Backend, mountA func(n *twoNodes, mux *http.ServeMux), configureB func(n *twoNodes, h *api.Handler),
	tune ...func(*recorder.Config)) *twoNodes {
	t.Helper()
	key := []byte("shared between the nodes")
	internalMux := http.NewServeMux()
	n := &twoNodes{internalA: httptest.NewServer(internalMux)}
	t.Cleanup(n.internalA.Close)
	n.env = newEnv(t, b, 0, append([]func(*recorder.Config){func(c *recorder.Config) { c.Node, c.InternalURL = "node-a", n.internalA.URL }}, tune...)...)
	n.nodeA = &recorder.Nodes{DB: n.db, Self: "node-a", Key: key}
	n.nodeB = &recorder.Nodes{DB: n.db, Self: "node-b", Key: key}
	mountA(n, internalMux)

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	n.auth = auth.NewService(n.db, auth.Options{Log: log, PublicURL: "http://callrec.test"})
	n.accounts = account.New(n.db, nil)
	h := &api.Handler{Accounts: n.accounts, Auth: n.auth, Log: log,
		Calls: &recordings.Service{DB: n.db, Accounts: n.accounts, Log: log, Now: n.db.Now}}
	configureB(n, h)
	mux := http.NewServeMux()
	h.Register(mux)
	n.apiB = httptest.NewServer((&principal.Resolver{Auth: n.auth, DB: n.db}).Middleware(mux))
	t.Cleanup(n.apiB.Close)
	return n
}
