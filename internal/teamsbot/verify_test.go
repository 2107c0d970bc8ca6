package teamsbot

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"callrec/internal/account"
	"callrec/internal/clock"
	"callrec/internal/store/storetest"
	"callrec/internal/teams"
)

// keyServer publishes an OpenID configuration and JWKS, as Microsoft's
// Bot Framework does, and counts fetches.
type keyServer struct {
	srv     *httptest.Server
	key     *rsa.PrivateKey
	kid     string
	fetches int
}

func newKeyServer(t testing.TB) *keyServer {
	k := &keyServer{kid: "k1"}
	var err error
	if k.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/openid", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": BotFrameworkIssuer, "jwks_uri": k.srv.URL + "/keys"})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		k.fetches++
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k.key.PublicKey, KeyID: k.kid, Algorithm: "RS256", Use: "sig"}}})
	})
	k.srv = httptest.NewServer(mux)
	t.Cleanup(k.srv.Close)
	return k
}

func (k *keyServer) sign(t testing.TB, key *rsa.PrivateKey, kid string, c map[string]any) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.Signed(signer).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestWebhookRefusesBadTokensAndBodies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		now := clock.Start()
		clock := func() time.Time { return now }
		db := storetest.Open(t, b, clock)
		k := newKeyServer(t)
		bot := New(db, account.New(db, clock), Options{Endpoints: teams.Endpoints{ClientID: "bot-app"}, OpenIDURL: k.srv.URL + "/openid", Now: clock,
			Media: SIPRECMedia{Target: "sip:127.0.0.1:5080"}})
		good := map[string]any{"iss": BotFrameworkIssuer, "aud": "bot-app", "tid": "tenant-1", "iat": now.Unix(), "nbf": now.Unix() - 10, "exp": now.Add(time.Hour).Unix()}
		with := func(k2 string, v any) map[string]any {
			c := map[string]any{}
			for kk, vv := range good {
				c[kk] = vv
			}
			if v == nil {
				delete(c, k2)
			} else {
				c[k2] = v
			}
			return c
		}
		other, _ := rsa.GenerateKey(rand.Reader, 2048)
		cases := []struct {
			name, auth, body string
			want             int
		}{
			{"no token", "", `{"value":[{}]}`, 401},
			{"not bearer", "Basic abc", `{"value":[{}]}`, 401},
			{"garbage", "Bearer not.a.jwt", `{"value":[{}]}`, 401},
			{"forged", "Bearer " + k.sign(t, other, "k1", good), `{"value":[{}]}`, 401},
			{"expired", "Bearer " + k.sign(t, k.key, "k1", with("exp", now.Add(-time.Hour).Unix())), `{"value":[{}]}`, 401},
			{"not yet valid", "Bearer " + k.sign(t, k.key, "k1", with("nbf", now.Add(time.Hour).Unix())), `{"value":[{}]}`, 401},
			{"wrong audience", "Bearer " + k.sign(t, k.key, "k1", with("aud", "someone-else")), `{"value":[{}]}`, 401},
			{"wrong issuer", "Bearer " + k.sign(t, k.key, "k1", with("iss", "https://evil.example")), `{"value":[{}]}`, 401},
			{"no tenant", "Bearer " + k.sign(t, k.key, "k1", with("tid", nil)), `{"value":[{}]}`, 401},
			{"malformed body", "Bearer " + k.sign(t, k.key, "k1", good), `{"value":`, 400},
			{"not an object", "Bearer " + k.sign(t, k.key, "k1", good), `[1,2]`, 400},
			{"empty batch", "Bearer " + k.sign(t, k.key, "k1", good), `{"value":[]}`, 202},
			{"valid, unknown call", "Bearer " + k.sign(t, k.key, "k1", good), `{"value":[{"changeType":"updated","resourceUrl":"/communications/calls/x","resourceData":{"state":"established"}}]}`, 202},
		}
		for _, c := range cases {
			req := httptest.NewRequest(http.MethodPost, "/api/teams/calling", strings.NewReader(c.body))
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			bot.ServeHTTP(rec, req)
			if rec.Code != c.want {
				t.Errorf("%s: %d, want %d", c.name, rec.Code, c.want)
			}
		}
		// Keys are cached: one fetch served every case above.
		if k.fetches != 1 {
			t.Errorf("keys fetched %d times, want 1", k.fetches)
		}
		// A rotated key (unknown kid) triggers a refresh once it is old enough.
		k.kid = "k2"
		now = now.Add(2 * time.Minute)
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"value":[{"changeType":"updated","resourceData":{"state":"establishing"}}]}`))
		req.Header.Set("Authorization", "Bearer "+k.sign(t, k.key, "k2", with("exp", now.Add(time.Hour).Unix())))
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		rec := httptest.NewRecorder()
		bot.ServeHTTP(rec, req)
		if rec.Code != 202 || k.fetches != 2 {
			t.Errorf("rotated key: %d after %d fetches", rec.Code, k.fetches)
		}
	})
}
