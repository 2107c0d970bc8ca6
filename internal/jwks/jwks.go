// Package jwks keeps the signing keys an identity provider publishes
// (Microsoft's for sign-in id tokens and for calling notifications): a
// cached key set refreshed every few hours and when a token names a key id
// it does not know (providers roll keys), with one fetch at a time however
// many requests ask, a back-off while the provider fails, and the old keys
// kept meanwhile.
package jwks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/sync/singleflight"
)

// Defaults of a Set.
const (
	// TTL is how long a fetched key set is used before it is fetched again.
	TTL = 6 * time.Hour
	// MinRefresh is the shortest time between two fetches for unknown key
	// ids: a flood of tokens with made-up ids costs one fetch a minute.
	MinRefresh = time.Minute
	// maxBackoff bounds the wait after failed fetches (5 s doubling).
	maxBackoff = 5 * time.Minute
)

// FetchFunc fetches the current key set.
type FetchFunc func(ctx context.Context) (*jose.JSONWebKeySet, error)

// Set is a cached key set. It is safe for concurrent use.
type Set struct {
	fetch FetchFunc
	now   func() time.Time
	group singleflight.Group

	mu       sync.Mutex
	keys     *jose.JSONWebKeySet
	fetched  time.Time // last successful fetch
	tried    time.Time // last fetch attempt
	failures int
	retryAt  time.Time
}

// New returns a set that fetches with fetch, on the clock now (nil: the
// wall clock).
func New(fetch FetchFunc, now func() time.Time) *Set {
	if now == nil {
		now = time.Now
	}
	return &Set{fetch: fetch, now: now}
}

// Keys returns the key set to verify a token whose header names kid ("" if
// none). It fetches when there are no keys yet, when they are older than
// TTL, or when kid is unknown and the last fetch is over MinRefresh old.
// When a fetch fails the old keys are returned, if there are any.
func (s *Set) Keys(ctx context.Context, kid string) (*jose.JSONWebKeySet, error) {
	now := s.now()
	s.mu.Lock()
	keys, fetched, tried, retryAt := s.keys, s.fetched, s.tried, s.retryAt
	s.mu.Unlock()
	known := keys != nil && (kid == "" || len(keys.Key(kid)) > 0)
	stale := keys == nil || now.Sub(fetched) >= TTL
	switch {
	case known && !stale:
		return keys, nil
	case !stale && now.Sub(tried) < MinRefresh:
		return keys, nil // fetched moments ago: an unknown kid is the token's problem
	case now.Before(retryAt):
		if keys != nil {
			return keys, nil
		}
		return nil, fmt.Errorf("jwks: keys unavailable, next try at %s", retryAt.Format(time.RFC3339))
	}
	v, err, _ := s.group.Do("", func() (any, error) { return s.refresh(ctx) })
	if err != nil {
		if keys != nil {
			return keys, nil
		}
		return nil, err
	}
	return v.(*jose.JSONWebKeySet), nil
}

func (s *Set) refresh(ctx context.Context) (*jose.JSONWebKeySet, error) {
	// The fetch is shared by every waiting request: one request's end
	// must not cancel it for the others.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	keys, err := s.fetch(ctx)
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tried = now
	if err == nil && (keys == nil || len(keys.Keys) == 0) {
		err = errors.New("jwks: the key set is empty")
	}
	if err != nil {
		s.failures++
		s.retryAt = now.Add(min(5*time.Second<<min(s.failures-1, 10), maxBackoff))
		return nil, err
	}
	s.keys, s.fetched, s.failures, s.retryAt = keys, now, 0, time.Time{}
	return keys, nil
}

// FromURL fetches a JWKS document.
func FromURL(hc *http.Client, url string) FetchFunc {
	return func(ctx context.Context) (*jose.JSONWebKeySet, error) {
		ks := &jose.JSONWebKeySet{}
		if err := GetJSON(ctx, hc, url, ks); err != nil {
			return nil, fmt.Errorf("jwks: signing keys: %w", err)
		}
		return ks, nil
	}
}

// FromOpenID fetches the keys an OpenID configuration's jwks_uri names.
func FromOpenID(hc *http.Client, configURL string) FetchFunc {
	return func(ctx context.Context) (*jose.JSONWebKeySet, error) {
		var cfg struct {
			JWKSURI string `json:"jwks_uri"`
		}
		if err := GetJSON(ctx, hc, configURL, &cfg); err != nil {
			return nil, fmt.Errorf("jwks: OpenID configuration: %w", err)
		}
		if cfg.JWKSURI == "" {
			return nil, errors.New("jwks: the OpenID configuration names no jwks_uri")
		}
		return FromURL(hc, cfg.JWKSURI)(ctx)
	}
}

// GetJSON fetches and decodes a JSON document of at most 1 MiB.
func GetJSON(ctx context.Context, hc *http.Client, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", url, resp.Status)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out)
}
