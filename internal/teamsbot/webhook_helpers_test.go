package teamsbot

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"callrec/internal/account"
	"callrec/internal/clock"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
	"callrec/internal/teams"
)

// graphLog is a fake Microsoft (token endpoint and the calling requests of
// docs/microsoft-contract.md) that records what the bot sent.
type graphLog struct {
	mu   sync.Mutex
	reqs []string // "answer call-1", "reject call-1 {…}", "updateRecordingStatus call-1 recording"
}

func (g *graphLog) has(req string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, r := range g.reqs {
		if strings.HasPrefix(r, req) {
			return true
		}
	}
	return false
}

func newGraphLog(t testing.TB) (*graphLog, *httptest.Server) {
	g := &graphLog{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "app-token", "token_type": "Bearer", "expires_in": 3600})
	})
	mux.HandleFunc("POST /v1.0/communications/calls/{id}/{op}", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		entry := r.PathValue("op") + " " + r.PathValue("id")
		if s, ok := body["status"].(string); ok {
			entry += " " + s
		}
		g.mu.Lock()
		g.reqs = append(g.reqs, entry)
		g.mu.Unlock()
		if r.PathValue("op") == "updateRecordingStatus" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"@odata.type":"#microsoft.graph.updateRecordingStatusOperation","status":"completed"}`)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return g, srv
}

// botHarness is a bot on a real store with a connected Teams integration
// (Microsoft tenant "tid-1", Required flags off) and three licensed users
// whose extensions are their Teams (AAD) ids.
type botHarness struct {
	t      *testing.T
	db     *store.DB
	bot    *Bot
	graph  *graphLog
	keys   *keyServer
	tenant string
	users  map[string]string // AAD id → callrec user id
	now    time.Time
}

const (
	aadAlice = "6e1b4346-85a6-4bdd-abe3-d11c5d420efe"
	aadBob   = "1e126418-44a0-4a94-a6f8-0efe1ad71acb"
	aadCarol = "c2f3a4b5-0000-4c4c-9d9d-112233445566"
)

func newBotHarness(t *testing.T, b storetest.Backend) *botHarness {
	ctx := context.Background()
	h := &botHarness{t: t, now: clock.Start(), users: map[string]string{}}
	now := func() time.Time { return h.now }
	h.db = storetest.Open(t, b, now)
	accounts := account.New(h.db, now)
	name := "Contoso"
	tn, err := accounts.CreateTenant(ctx, account.System, account.TenantInput{Name: &name, Licenses: map[string]int{"call_recording": 10, "live_monitoring": 10}})
	if err != nil {
		t.Fatal(err)
	}
	h.tenant = tn.ID
	if err := h.db.Q().InsertIntegration(ctx, store.Integration{ID: "i1", TenantID: tn.ID, Kind: "teams", Status: "connected", OrgID: "tid-1",
		Config: `{"flags":{}}`, Resources: "{}", JobOptions: "{}", CreatedAt: h.now, UpdatedAt: h.now}); err != nil {
		t.Fatal(err)
	}
	for _, aad := range []string{aadAlice, aadBob, aadCarol} {
		uname, role, exts, lic := "User "+aad[:4], "user", []string{aad}, []string{"call_recording"}
		u, err := accounts.CreateUser(ctx, account.System, tn.ID, account.UserInput{Name: &uname, Role: &role, Extensions: &exts, Licenses: &lic})
		if err != nil {
			t.Fatal(err)
		}
		h.users[aad] = u.ID
	}
	h.keys = newKeyServer(t)
	var srv *httptest.Server
	h.graph, srv = newGraphLog(t)
	h.bot = New(h.db, accounts, Options{Endpoints: teams.Endpoints{LoginURL: srv.URL, GraphURL: srv.URL, ClientID: "bot-app", ClientSecret: "s"},
		OpenIDURL: h.keys.srv.URL + "/openid", WebhookURL: "https://callrec.example/api/teams/calling", Media: SIPRECMedia{Target: "sip:127.0.0.1:5080"},
		Now: now, HTTP: srv.Client(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return h
}

// post sends a notification body as Microsoft does and returns the status
// and body of the bot's answer.
func (h *botHarness) post(contentType string, body []byte) (int, string) {
	h.t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/api/teams/calling", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+h.keys.sign(h.t, h.keys.key, "k1", map[string]any{"iss": BotFrameworkIssuer, "aud": "bot-app",
		"tid": "tid-1", "iat": h.now.Unix(), "nbf": h.now.Unix() - 10, "exp": h.now.Add(time.Hour).Unix()}))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.bot.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func (h *botHarness) postJSON(v any) (int, string) {
	h.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.post("application/json", b)
}

func (h *botHarness) leg(id string) store.TeamsCall {
	h.t.Helper()
	l, err := h.db.Q().GetTeamsCall(context.Background(), h.tenant, id)
	if err != nil {
		h.t.Fatalf("leg %s: %v", id, err)
	}
	return l
}

// The documented shapes (docs/microsoft-contract.md), values ours.

func batch(items ...map[string]any) map[string]any {
	return map[string]any{"@odata.type": "#microsoft.graph.commsNotifications", "value": items}
}

func item(change, url string, data any) map[string]any {
	return map[string]any{"@odata.type": "#microsoft.graph.commsNotification", "changeType": change, "resourceUrl": url, "resourceData": data}
}

func userIdentity(aad string) map[string]any {
	return map[string]any{"@odata.type": "#microsoft.graph.identitySet",
		"user": map[string]any{"@odata.type": "#microsoft.graph.identity", "id": aad, "identityProvider": "AAD"}}
}

func phoneIdentity(number string) map[string]any {
	return map[string]any{"@odata.type": "#microsoft.graph.identitySet", "phone": map[string]any{"@odata.type": "#microsoft.graph.identity", "id": number}}
}

func encryptedIdentity() map[string]any {
	return map[string]any{"@odata.type": "#microsoft.graph.identitySet",
		"encrypted": map[string]any{"@odata.type": "#microsoft.graph.identity", "id": "ZW5jcnlwdGVkLWNhbGxlcg=="}}
}

func party(id string, identity map[string]any) map[string]any {
	p := map[string]any{"@odata.type": "#microsoft.graph.participantInfo", "id": id}
	if identity != nil {
		p["identity"] = identity
	}
	return p
}

// incomingCall is a policy-based recording invitation as call-answer.md's
// Example 3 shows it: botData.user has a participationMethod and no id.
func incomingCall(callID, chain string, source map[string]any, targets []map[string]any, sourcePID, observedPID, method string) map[string]any {
	targets = append([]map[string]any{{"@odata.type": "#microsoft.graph.invitationParticipantInfo", "id": "bot-pid-" + callID,
		"identity": map[string]any{"@odata.type": "#microsoft.graph.identitySet",
			"applicationInstance": map[string]any{"@odata.type": "#microsoft.graph.identity", "id": "832899f8-0000-4604-8413-27bd2892079f", "identityProvider": "AAD"}},
		"endpointType": "default"}}, targets...)
	return map[string]any{"@odata.type": "#microsoft.graph.call", "id": callID, "state": "incoming", "direction": "incoming",
		"source": source, "targets": targets, "tenantId": "tid-1", "myParticipantId": "my-" + callID, "callChainId": chain,
		"incomingContext": map[string]any{"@odata.type": "#microsoft.graph.incomingContext", "sourceParticipantId": sourcePID, "observedParticipantId": observedPID},
		"applicationMetadata": map[string]any{"botData": map[string]any{"mediaHostedRegion": "EUWE",
			"user": map[string]any{"participationMethod": method, "clientLocation": "DE"}, "inviteReasons": []string{"PolicyBasedRecording"},
			"policyIdentifier": "Tag:RecordAll", "pairedRecorders": []any{}, "otherRecorders": []any{}}}}
}

func stateUpdate(callID, state string) map[string]any {
	return item("updated", "/communications/calls/"+callID, map[string]any{"@odata.type": "#microsoft.graph.call", "id": callID, "state": state})
}
