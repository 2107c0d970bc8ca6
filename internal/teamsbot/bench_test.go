package teamsbot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"callrec/internal/account"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
	"callrec/internal/teams"
)

// fakeMicrosoft answers the token endpoint and Graph's calling API, and
// records when each answer arrived.
type fakeMicrosoft struct {
	srv      *httptest.Server
	mu       sync.Mutex
	answered map[string]time.Time
}

func newFakeMicrosoft(t testing.TB) *fakeMicrosoft {
	f := &fakeMicrosoft{answered: map[string]time.Time{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "app-token", "token_type": "Bearer", "expires_in": 3600})
	})
	mux.HandleFunc("POST /v1.0/communications/calls/{id}/answer", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.answered[r.PathValue("id")] = time.Now()
		f.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("POST /v1.0/communications/calls/{id}/reject", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) })
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// BenchmarkAnswer measures how fast the bot answers incoming compliance
// calls end to end over HTTP (notification in, Graph answer out), with
// token verification, the tenant and user lookups, the decision and the
// leg row on SQLite. It reports p50/p99 answer latency and calls/s.
func BenchmarkAnswer(b *testing.B) {
	ctx := context.Background()
	db := storetest.Open(b, storetest.Backends()[0], nil)
	accounts := account.New(db, nil)
	name := "Contoso"
	pools := map[string]int{"call_recording": 10, "live_monitoring": 10}
	tn, err := accounts.CreateTenant(ctx, account.System, account.TenantInput{Name: &name, Licenses: pools})
	if err != nil {
		b.Fatal(err)
	}
	now := db.Now()
	if err := db.Q().InsertIntegration(ctx, store.Integration{ID: "i1", TenantID: tn.ID, Kind: "teams", Status: "connected", OrgID: "tid-1",
		Config: `{"flags":{}}`, Resources: "{}", JobOptions: "{}", CreatedAt: now, UpdatedAt: now}); err != nil {
		b.Fatal(err)
	}
	uname, role, exts, lic := "Agent", "user", []string{"0b1c2d3e-1111-2222-3333-444455556666"}, []string{"call_recording"}
	if _, err := accounts.CreateUser(ctx, account.System, tn.ID, account.UserInput{Name: &uname, Role: &role, Extensions: &exts, Licenses: &lic}); err != nil {
		b.Fatal(err)
	}
	keys := newKeyServer(b)
	ms := newFakeMicrosoft(b)
	bot := New(db, accounts, Options{Endpoints: teams.Endpoints{LoginURL: ms.srv.URL, GraphURL: ms.srv.URL, ClientID: "bot-app", ClientSecret: "s"},
		OpenIDURL: keys.srv.URL + "/openid", WebhookURL: "https://callrec.example/api/teams/calling", Media: SIPRECMedia{Target: "sip:127.0.0.1:5080"},
		Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	hook := httptest.NewServer(bot)
	defer hook.Close()
	tok := "Bearer " + keys.sign(b, keys.key, "k1", map[string]any{"iss": BotFrameworkIssuer, "aud": "bot-app", "tid": "tid-1",
		"iat": time.Now().Unix(), "nbf": time.Now().Unix() - 10, "exp": time.Now().Add(time.Hour).Unix()})
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		id := fmt.Sprintf("call-%d-%d", b.N, i)
		body := fmt.Sprintf(`{"value":[{"changeType":"created","resourceUrl":"/communications/calls/%s","resourceData":{"@odata.type":"#microsoft.graph.call","id":"%s","state":"incoming","tenantId":"tid-1","source":{"id":"p-1","identity":{"user":{"id":"0b1c2d3e-1111-2222-3333-444455556666"}}},"incomingContext":{"sourceParticipantId":"p-1","observedParticipantId":"p-1"},"applicationMetadata":{"botData":{"user":{"participationMethod":"caller"}}}}}]}`, id, id)
		req, _ := http.NewRequest(http.MethodPost, hook.URL, bytes.NewReader([]byte(body)))
		req.Header.Set("Authorization", tok)
		req.Header.Set("Content-Type", "application/json")
		sent := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusAccepted {
			b.Fatalf("notification: %v %v", resp, err)
		}
		resp.Body.Close()
		ms.mu.Lock()
		at, ok := ms.answered[id]
		ms.mu.Unlock()
		if !ok {
			b.Fatalf("call %s was not answered", id)
		}
		lat = append(lat, at.Sub(sent))
	}
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
}
