package msemu

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/golang-jwt/jwt/v5"
)

// botNote is a notification the fake bot received, its token verified.
type botNote struct {
	Path   string
	Change string
	Leg    string
	State  string
	Data   map[string]any
	Result map[string]any
}

// fakeBot is callrec's bot as far as the emulator can tell: it verifies
// every notification's token against the emulator's bot JWKS and hands
// incoming calls to onIncoming.
type fakeBot struct {
	t          *testing.T
	h          *harness
	srv        *httptest.Server
	keys       map[string]*rsa.PublicKey
	mu         sync.Mutex
	notes      []botNote
	rosters    []rosterNote
	onIncoming func(n botNote)
	// onJoining answers a participantJoiningNotification (nil: 202 and no
	// body, which Microsoft does not expect).
	onJoining func(call map[string]any) map[string]any
}

// rosterNote is a participants notification: resourceData is an array.
type rosterNote struct {
	Path, Change, URL string
	Participants      []map[string]any
}

func newFakeBot(t *testing.T, h *harness) *fakeBot {
	b := &fakeBot{t: t, h: h, keys: fetchBotKeys(t, h)}
	b.srv = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.srv.Close)
	return b
}

func fetchBotKeys(t *testing.T, h *harness) map[string]*rsa.PublicKey {
	t.Helper()
	var cfg Config
	h.call("GET", "/emu/config", "", nil, &cfg)
	var oidc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	h.call("GET", strings.TrimPrefix(cfg.BotOpenIDURL, h.srv.URL), "", nil, &oidc)
	var set struct {
		Keys []struct{ Kid, N, E string }
	}
	h.call("GET", strings.TrimPrefix(oidc.JWKSURI, h.srv.URL), "", nil, &set)
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		n, _ := base64.RawURLEncoding.DecodeString(k.N)
		e, _ := base64.RawURLEncoding.DecodeString(k.E)
		keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	if len(keys) == 0 || oidc.Issuer != BotFrameworkIssuer {
		t.Fatalf("bot OpenID configuration: %+v %+v", oidc, set)
	}
	return keys
}

func (b *fakeBot) verify(r *http.Request) error {
	raw, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(tok *jwt.Token) (any, error) {
		k := b.keys[fmt.Sprint(tok.Header["kid"])]
		if k == nil {
			return nil, fmt.Errorf("unknown kid %v", tok.Header["kid"])
		}
		return k, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(BotFrameworkIssuer), jwt.WithAudience(CallrecClientID),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithTimeFunc(b.h.clock.Now))
	if err != nil {
		return err
	}
	if claims["tid"] != ContosoTenantID || claims["nbf"] == nil {
		return fmt.Errorf("claims %v", claims)
	}
	return nil
}

func (b *fakeBot) serve(w http.ResponseWriter, r *http.Request) {
	if err := b.verify(r); err != nil {
		b.t.Errorf("bot: notification token: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var env struct{ Value []map[string]any }
	if err := json.Unmarshal(body, &env); err != nil || len(env.Value) != 1 {
		b.t.Errorf("bot: notification body %s", body)
		return
	}
	v := env.Value[0]
	if arr, ok := v["resourceData"].([]any); ok {
		rn := rosterNote{Path: r.URL.Path, Change: fmt.Sprint(v["changeType"]), URL: fmt.Sprint(v["resourceUrl"])}
		for _, p := range arr {
			m, _ := p.(map[string]any)
			rn.Participants = append(rn.Participants, m)
		}
		b.mu.Lock()
		b.rosters = append(b.rosters, rn)
		b.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		return
	}
	data, _ := v["resourceData"].(map[string]any)
	if data["@odata.type"] == joiningNotificationType {
		b.mu.Lock()
		on := b.onJoining
		b.mu.Unlock()
		if on == nil {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		call, _ := data["call"].(map[string]any)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(on(call))
		return
	}
	n := botNote{Path: r.URL.Path, Change: fmt.Sprint(v["changeType"]), Data: data,
		Leg: strings.TrimPrefix(fmt.Sprint(v["resourceUrl"]), "/communications/calls/"), State: fmt.Sprint(data["state"])}
	n.Result, _ = data["resultInfo"].(map[string]any)
	b.mu.Lock()
	b.notes = append(b.notes, n)
	on := b.onIncoming
	b.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
	if n.Change == "created" && on != nil {
		go on(n)
	}
}

func (b *fakeBot) received() []botNote {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]botNote(nil), b.notes...)
}

// answer answers a leg the way callrec does, naming the recorder's SIPREC
// target in the blob.
func (b *fakeBot) answer(tok, leg, siprec string) int {
	blob, _ := json.Marshal(mediaBlob{SIPREC: siprec, Correlation: "corr-" + leg})
	res := b.h.call("POST", "/v1.0/communications/calls/"+leg+"/answer", tok, map[string]any{
		"callbackUri":        b.srv.URL + "/callback/" + leg,
		"mediaConfig":        map[string]any{"@odata.type": "#microsoft.graph.appHostedMediaConfig", "blob": string(blob)},
		"acceptedModalities": []string{"audio"}, "participantCapacity": 200}, nil)
	return res.StatusCode
}

// recordingSetup is a tenant where AdeleV is recorded by callrec's bot.
type recordingSetup struct {
	h     *harness
	bot   *fakeBot
	graph string // the bot's app-only Graph token
}

type policyFlags struct {
	requiredBefore, requiredDuring, disableAnnouncement bool
}

func newRecordingSetup(t *testing.T, f policyFlags) *recordingSetup {
	t.Helper()
	h := newHarness(t, 0)
	admin := h.delegated("LeeG@"+ContosoDomain, TeamsAdminAppID+"/.default")
	id := newInstance(t, h, admin, "recorder@"+ContosoDomain)
	pol := map[string]any{"Identity": "Rec", "Enabled": true,
		"DisableComplianceRecordingAudioNotificationForCalls": f.disableAnnouncement,
		"ComplianceRecordingApplications": []map[string]any{{"Id": id,
			"RequiredBeforeCallEstablishment": f.requiredBefore, "RequiredDuringCall": f.requiredDuring}}}
	if res := h.call("POST", policiesPath, admin, pol, nil); res.StatusCode != http.StatusCreated {
		t.Fatalf("policy: %d", res.StatusCode)
	}
	grant := map[string]any{"PolicyType": policyType, "PolicyName": "Rec"}
	if res := h.call("PUT", TeamsAdminPrefix+"/Skype.Policy/users/AdeleV@"+ContosoDomain, admin, grant, nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("grant: %d", res.StatusCode)
	}
	s := &recordingSetup{h: h, bot: newFakeBot(t, h), graph: h.appOnly(ContosoTenantID, "https://graph.microsoft.com/.default")}
	h.emu.mu.Lock()
	h.emu.w.Apps[CallrecClientID].CallingWebhook = s.bot.srv.URL + "/webhook"
	h.emu.mu.Unlock()
	return s
}

func (s *recordingSetup) place(t *testing.T, from, to string, seconds float64) string {
	t.Helper()
	var c CallInfo
	if res := s.h.call("POST", "/emu/calls", "", PlaceCall{From: from, To: to, DurationSeconds: seconds}, &c); res.StatusCode != http.StatusCreated {
		t.Fatalf("place call: %d", res.StatusCode)
	}
	return c.ID
}

// waitFor polls the call events until one satisfies ok.
func waitFor(t *testing.T, h *harness, what string, ok func(Event) bool) Event {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, ev := range h.emu.Events(0, EventKindCall) {
			if ok(ev) {
				return ev
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no %s event; call events: %v", what, h.emu.Events(0, EventKindCall))
	return Event{}
}

func callEventNamed(callID, name string) func(Event) bool {
	return func(ev Event) bool { return ev.Data["call_id"] == callID && ev.Data["event"] == name }
}

// waitDone waits for a call to leave setup and connected states.
func waitDone(t *testing.T, h *harness, id string) *CallInfo {
	t.Helper()
	deadline := time.Now().Add(8 * time.Second)
	for time.Now().Before(deadline) {
		if v := h.emu.CallView(id); v != nil && v.State != callSetup && v.State != callConnected {
			return v
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("call %s still running: %+v", id, h.emu.CallView(id))
	return nil
}

func eventNames(h *harness, callID, leg string) []string {
	var out []string
	for _, ev := range h.emu.Events(0, EventKindCall) {
		if ev.Data["call_id"] == callID && (leg == "*" || ev.Data["leg"] == leg) {
			out = append(out, fmt.Sprint(ev.Data["event"]))
		}
	}
	return out
}

// recorderStub is a SIPREC recorder on sipgo, the SIP stack callrec's
// recorder uses: it answers INVITEs with two receive-only streams and
// counts the RTP that arrives.
type recorderStub struct {
	uri     string
	mu      sync.Mutex
	invites []*sip.Request
	byes    atomic.Int32
	packets [2]atomic.Int32
	badRTP  atomic.Int32
}

func newRecorderStub(t *testing.T, transport string) *recorderStub {
	t.Helper()
	s := &recorderStub{}
	var ports [2]int
	for i := range 2 {
		pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pc.Close() })
		ports[i] = pc.LocalAddr().(*net.UDPAddr).Port
		go s.countRTP(pc, i)
	}
	ua, err := sipgo.NewUA()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		s.mu.Lock()
		s.invites = append(s.invites, req.Clone())
		s.mu.Unlock()
		sdp := fmt.Sprintf("v=0\r\no=srs 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
			"m=audio %d RTP/AVP 0\r\na=label:1\r\na=recvonly\r\nm=audio %d RTP/AVP 0\r\na=label:2\r\na=recvonly\r\n", ports[0], ports[1])
		res := sip.NewResponseFromRequest(req, 200, "OK", []byte(sdp))
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		_ = tx.Respond(res)
	})
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		s.byes.Add(1)
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	if transport == "udp" {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = srv.ServeUDP(pc) }()
		s.uri = "sip:" + pc.LocalAddr().String() + ";transport=udp"
	} else {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = srv.ServeTCP(l) }()
		s.uri = "sip:" + l.Addr().String() + ";transport=tcp"
	}
	t.Cleanup(func() { srv.Close(); ua.Close() })
	return s
}

func (s *recorderStub) countRTP(pc *net.UDPConn, i int) {
	buf := make([]byte, 2048)
	for {
		n, err := pc.Read(buf)
		if err != nil {
			return
		}
		if n != 12+rtpFrame || buf[0] != 0x80 || buf[1]&0x7f != 0 {
			s.badRTP.Add(1)
		}
		s.packets[i].Add(1)
	}
}

func (s *recorderStub) invite(t *testing.T) *sip.Request {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.invites) != 1 {
		t.Fatalf("recorder got %d INVITEs", len(s.invites))
	}
	return s.invites[0]
}

// waitNote waits until the bot has received a notification of the given
// change and state, and returns all it received by then.
func (b *fakeBot) waitNote(t *testing.T, change, state string) []botNote {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		notes := b.received()
		for _, n := range notes {
			if n.Change == change && n.State == state {
				return notes
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("bot never got %s:%s; got %+v", change, state, b.received())
	return nil
}

// waitRoster waits until the bot has received n roster notifications and
// returns them.
func (b *fakeBot) waitRoster(t *testing.T, n int) []rosterNote {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b.mu.Lock()
		got := append([]rosterNote(nil), b.rosters...)
		b.mu.Unlock()
		if len(got) >= n {
			return got
		}
	}
	t.Fatalf("bot got fewer than %d roster notifications", n)
	return nil
}
