package auth

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimitedError says a client or login made too many attempts; the
// caller answers 429 with Retry-After.
type RateLimitedError struct{ RetryAfter time.Duration }

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("auth: too many attempts; try again in %s", e.RetryAfter.Round(time.Second))
}

// Limits are the sign-in rate limits: attempts per minute (also the
// burst) per client IP and per login, across password sign-in, 2-step
// verification and password-reset requests. Zero takes the default.
type Limits struct {
	PerIP    int // default 30
	PerLogin int // default 10
}

// keyedLimiter is a token bucket per key (golang.org/x/time/rate), on the
// service's clock. Idle buckets are dropped so a spray of addresses or
// logins cannot grow it without end.
type keyedLimiter struct {
	mu      sync.Mutex
	perMin  int
	buckets map[string]*rate.Limiter
	swept   time.Time
}

const maxBuckets = 100000

func newKeyedLimiter(perMin int) *keyedLimiter {
	return &keyedLimiter{perMin: perMin, buckets: map[string]*rate.Limiter{}}
}

// allow takes one token for key at now, or says how long until one is due.
func (l *keyedLimiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxBuckets || now.Sub(l.swept) > 10*time.Minute {
			l.sweep(now)
		}
		b = rate.NewLimiter(rate.Limit(float64(l.perMin)/60), l.perMin)
		l.buckets[key] = b
	}
	r := b.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep drops full buckets (a new one would be the same) and, if the map
// is still at its bound, everything: a flood of keys resets the limits
// rather than the process's memory.
func (l *keyedLimiter) sweep(now time.Time) {
	l.swept = now
	for k, b := range l.buckets {
		if b.TokensAt(now) >= float64(l.perMin) {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= maxBuckets {
		clear(l.buckets)
	}
}

// limiter applies both limits.
type limiter struct {
	ip, login *keyedLimiter
}

func newLimiter(l Limits) *limiter {
	if l.PerIP <= 0 {
		l.PerIP = 30
	}
	if l.PerLogin <= 0 {
		l.PerLogin = 10
	}
	return &limiter{ip: newKeyedLimiter(l.PerIP), login: newKeyedLimiter(l.PerLogin)}
}

// check takes a token for the client and one for the login ("" skips it).
func (l *limiter) check(ip, login string, now time.Time) error {
	if ok, d := l.ip.allow(clientKey(ip), now); !ok {
		return &RateLimitedError{RetryAfter: d}
	}
	if login == "" {
		return nil
	}
	if ok, d := l.login.allow(normalizeLogin(login), now); !ok {
		return &RateLimitedError{RetryAfter: d}
	}
	return nil
}

// normalizeLogin is the key of a login's bucket: case and spaces do not
// make another login.
func normalizeLogin(login string) string { return strings.ToLower(strings.TrimSpace(login)) }

// clientKey is the key of a client's bucket: its IPv4 address, or the /64
// of an IPv6 one (a single host holds a whole /64).
func clientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		if ap, err2 := netip.ParseAddrPort(ip); err2 == nil {
			a = ap.Addr()
		} else {
			return ip
		}
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
