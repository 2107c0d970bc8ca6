package jwks

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"callrec/internal/clock"
)

// keyServer publishes a JWKS whose key ids the test sets, counts fetches
// and can fail.
type keyServer struct {
	srv     *httptest.Server
	fetches atomic.Int32
	mu      sync.Mutex
	kids    []string
	down    bool
	release chan struct{} // when set, each fetch waits for it
}

func newKeyServer(t *testing.T, kids ...string) *keyServer {
	k := &keyServer{kids: kids}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	k.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.fetches.Add(1)
		k.mu.Lock()
		kids, down, release := k.kids, k.down, k.release
		k.mu.Unlock()
		if release != nil {
			<-release
		}
		if down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		var ks jose.JSONWebKeySet
		for _, kid := range kids {
			ks.Keys = append(ks.Keys, jose.JSONWebKey{Key: &key.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"})
		}
		_ = json.NewEncoder(w).Encode(ks)
	}))
	t.Cleanup(k.srv.Close)
	return k
}

func (k *keyServer) set(f func(k *keyServer)) { k.mu.Lock(); f(k); k.mu.Unlock() }

// TestOneFetchForAFlood: 200 concurrent tokens with an unknown key id
// cause one fetch, not one each.
func TestOneFetchForAFlood(t *testing.T) {
	k := newKeyServer(t, "a")
	c := clock.NewFake()
	s := New(FromURL(http.DefaultClient, k.srv.URL), c.Now)
	if _, err := s.Keys(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	c.Advance(2 * MinRefresh)
	release := make(chan struct{})
	k.set(func(k *keyServer) { k.release = release })
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() { _, _ = s.Keys(context.Background(), "unknown") })
	}
	time.Sleep(100 * time.Millisecond) // let them all ask before the fetch answers
	close(release)
	wg.Wait()
	if n := k.fetches.Load(); n != 2 {
		t.Errorf("%d fetches, want 2 (the first, then one for the flood)", n)
	}
	// Right after, more unknown ids do not fetch again.
	for range 50 {
		_, _ = s.Keys(context.Background(), "still-unknown")
	}
	if n := k.fetches.Load(); n != 2 {
		t.Errorf("%d fetches after the flood, want 2", n)
	}
}

// TestRotationAndTTL: a key id that appears is fetched on first sight
// (after MinRefresh), and keys are refreshed after TTL even when known.
func TestRotationAndTTL(t *testing.T) {
	k := newKeyServer(t, "a")
	c := clock.NewFake()
	s := New(FromURL(http.DefaultClient, k.srv.URL), c.Now)
	ctx := context.Background()
	if _, err := s.Keys(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	k.set(func(k *keyServer) { k.kids = []string{"a", "b"} })
	c.Advance(MinRefresh)
	ks, err := s.Keys(ctx, "b")
	if err != nil || len(ks.Key("b")) != 1 {
		t.Fatalf("rolled key not picked up: %v", err)
	}
	c.Advance(TTL - time.Second)
	_, _ = s.Keys(ctx, "a")
	if n := k.fetches.Load(); n != 2 {
		t.Fatalf("%d fetches before TTL, want 2", n)
	}
	c.Advance(2 * time.Second)
	_, _ = s.Keys(ctx, "a")
	if n := k.fetches.Load(); n != 3 {
		t.Fatalf("%d fetches after TTL, want 3", n)
	}
}

// TestBackoffKeepsOldKeys: while the provider fails, the old keys keep
// working and fetches back off instead of hammering it.
func TestBackoffKeepsOldKeys(t *testing.T) {
	k := newKeyServer(t, "a")
	c := clock.NewFake()
	s := New(FromURL(http.DefaultClient, k.srv.URL), c.Now)
	ctx := context.Background()
	if _, err := s.Keys(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	k.set(func(k *keyServer) { k.down = true })
	c.Advance(TTL)
	for range 20 {
		ks, err := s.Keys(ctx, "a")
		if err != nil || len(ks.Key("a")) != 1 {
			t.Fatalf("old keys not kept while the provider is down: %v", err)
		}
	}
	if n := k.fetches.Load(); n != 2 {
		t.Fatalf("%d fetches while down, want 2 (then back off)", n)
	}
	c.Advance(6 * time.Second)
	_, _ = s.Keys(ctx, "a")
	if n := k.fetches.Load(); n != 3 {
		t.Fatalf("%d fetches after the back-off, want 3", n)
	}
	// No keys ever: an error, not a panic, and no fetch during the back-off.
	empty := New(FromURL(http.DefaultClient, k.srv.URL), c.Now)
	if _, err := empty.Keys(ctx, "a"); err == nil {
		t.Fatal("no keys and the provider down: no error")
	}
	if _, err := empty.Keys(ctx, "a"); err == nil || k.fetches.Load() != 4 {
		t.Fatalf("during the back-off: %v after %d fetches, want an error without a fetch", err, k.fetches.Load())
	}
}
