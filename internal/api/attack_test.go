package api_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"callrec/internal/auth"
	"callrec/internal/mail"
	"callrec/internal/secretbox"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// unlimited lifts the sign-in rate limits for tests of other rules.
func unlimited(o *auth.Options) { o.Limits = auth.Limits{PerIP: 1 << 20, PerLogin: 1 << 20} }

// parallel runs n wrong-password sign-ins for login at once and counts
// the statuses.
func (e *env) parallel(login string, n int) map[int]int {
	var mu sync.Mutex
	got := map[int]int{}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			c := &client{e: e}
			r := c.do("POST", "/api/v1/session", map[string]string{"login": login, "password": "Wrong#Pass1"})
			mu.Lock()
			got[r.status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	return got
}

// TestLockoutHoldsUnderParallelGuesses: eight guesses at once get exactly
// five tries at the password (the rest are locked out before hashing), and
// after the lock, eight more get exactly one.
func TestLockoutHoldsUnderParallelGuesses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, unlimited)
		u := e.users["A:admin"]
		// Each admitted attempt is counted before its hash; refused ones
		// never reach the password.
		tried := func() int {
			fresh, err := e.db.Q().GetUserByID(context.Background(), u.ID)
			if err != nil {
				t.Fatal(err)
			}
			return fresh.FailedLogins
		}
		got := e.parallel(u.Login, 8)
		if tried() != 5 || got[http.StatusUnauthorized] != 4 || got[http.StatusLocked] != 4 {
			t.Fatalf("first round: %d password checks, statuses %v; want 5 checks (4×401, then 423 for the 5th and the 3 refused)", tried(), got)
		}
		e.clock.Advance(61 * time.Second)
		got = e.parallel(u.Login, 8)
		if tried() != 6 || got[http.StatusLocked] != 8 {
			t.Fatalf("after the lock: %d password checks, statuses %v; want 6 and all 423", tried(), got)
		}
		fresh, _ := e.db.Q().GetUserByID(context.Background(), u.ID)
		if fresh.FailedLogins != 6 || fresh.LockedUntil == nil || fresh.LockedUntil.Sub(e.clock.Now()) != 2*time.Minute {
			t.Fatalf("failures %d, locked until %v (now %v); want 6 and two minutes", fresh.FailedLogins, fresh.LockedUntil, e.clock.Now())
		}
	})
}

// TestSignInRateLimits: per login and per client address, token buckets
// answer 429 with Retry-After, and refill with time.
func TestSignInRateLimits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, func(o *auth.Options) { o.Limits = auth.Limits{PerIP: 6, PerLogin: 3} })
		anon := &client{e: e}
		for i := range 3 {
			if r := anon.do("POST", "/api/v1/session", map[string]string{"login": "nobody", "password": "Wrong#Pass1"}); r.status != http.StatusUnauthorized {
				t.Fatalf("attempt %d: %d", i+1, r.status)
			}
		}
		r := anon.do("POST", "/api/v1/session", map[string]string{"login": "nobody", "password": "Wrong#Pass1"})
		if r.status != http.StatusTooManyRequests || r.errCode() != "rate_limited" || r.header.Get("Retry-After") != "20" {
			t.Fatalf("4th attempt for one login: %d %s Retry-After %q, want 429 after 20 s", r.status, r.raw, r.header.Get("Retry-After"))
		}
		// The client has 2 of its 6 left: other logins, then a reset request.
		for _, login := range []string{"other", "third"} {
			if r := anon.do("POST", "/api/v1/session", map[string]string{"login": login, "password": "x"}); r.status != http.StatusUnauthorized {
				t.Fatalf("another login: %d", r.status)
			}
		}
		if r := anon.do("POST", "/api/v1/password-reset", map[string]any{"login": "fourth"}); r.status != http.StatusTooManyRequests {
			t.Fatalf("the client's 7th attempt: %d, want 429", r.status)
		}
		e.clock.Advance(time.Minute)
		if r := anon.do("POST", "/api/v1/session", map[string]string{"login": "nobody", "password": "x"}); r.status != http.StatusUnauthorized {
			t.Fatalf("after a minute: %d, want 401", r.status)
		}
	})
}

// TestHashingIsBounded: with one hashing slot and one waiting place, a
// burst of sign-ins gets 429 busy for the excess, never 500, and the
// admitted ones are answered.
func TestHashingIsBounded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, unlimited, func(o *auth.Options) { o.Hasher = auth.NewHasher(1, 1, 10*time.Second) })
		var mu sync.Mutex
		got := map[int]int{}
		retry := ""
		var wg sync.WaitGroup
		for i := range 12 {
			wg.Go(func() {
				r := (&client{e: e}).do("POST", "/api/v1/session", map[string]string{"login": "ghost" + strconv.Itoa(i), "password": "Wrong#Pass1"})
				mu.Lock()
				got[r.status]++
				if r.status == http.StatusTooManyRequests {
					retry = r.header.Get("Retry-After")
				}
				mu.Unlock()
			})
		}
		wg.Wait()
		if got[http.StatusTooManyRequests] == 0 || got[http.StatusUnauthorized] < 2 || got[http.StatusTooManyRequests]+got[http.StatusUnauthorized] != 12 || retry == "" {
			t.Fatalf("statuses %v, Retry-After %q: want some 429 with Retry-After, the rest 401", got, retry)
		}
	})
}

// TestTOTPCodeOnce: a code that signed in cannot sign in again, though it
// is still within its 30 seconds.
func TestTOTPCodeOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, unlimited)
		login := e.users["A:supervisor"].Login
		c, _ := e.sessionClient(login, testPassword, "")
		c.want(http.StatusOK, "POST", "/api/v1/me/terms", map[string]any{"version": 1})
		secret, _ := c.want(http.StatusOK, "POST", "/api/v1/me/two-factor", nil).body["secret"].(string)
		code, _ := auth.TOTPCode(secret, e.clock.Now())
		c.want(http.StatusOK, "POST", "/api/v1/me/two-factor/confirm", map[string]any{"code": code})
		if _, r := e.sessionClient(login, testPassword, code); r.status != http.StatusUnauthorized {
			t.Fatalf("the enrolment's code again: %d, want 401", r.status)
		}
		e.clock.Advance(30 * time.Second)
		code, _ = auth.TOTPCode(secret, e.clock.Now())
		if _, r := e.sessionClient(login, testPassword, code); r.status != http.StatusOK {
			t.Fatalf("a fresh code: %d", r.status)
		}
		if _, r := e.sessionClient(login, testPassword, code); r.status != http.StatusUnauthorized {
			t.Fatalf("the same code replayed: %d, want 401", r.status)
		}
		// The previous step's code is within the skew window but older
		// than the one used: refused too.
		old, _ := auth.TOTPCode(secret, e.clock.Now().Add(-30*time.Second))
		if _, r := e.sessionClient(login, testPassword, old); r.status != http.StatusUnauthorized {
			t.Fatalf("an older code: %d, want 401", r.status)
		}
	})
}

// TestResetLinksSupersede: a new request voids the earlier link, and so
// does an administrator setting the password.
func TestResetLinksSupersede(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, unlimited)
		anon := &client{e: e}
		u := e.users["A:supervisor"]
		link := func() string {
			e.auth.FlushMail()
			m := e.mailbox.sent[len(e.mailbox.sent)-1]
			return strings.Fields(m[strings.Index(m, "token=")+len("token="):])[0]
		}
		anon.want(http.StatusAccepted, "POST", "/api/v1/password-reset", map[string]any{"login": u.Login})
		first := link()
		anon.want(http.StatusAccepted, "POST", "/api/v1/password-reset", map[string]any{"login": u.Login})
		second := link()
		if r := anon.do("POST", "/api/v1/password-reset/confirm", map[string]any{"token": first, "password": "Brand#New2027"}); r.errCode() != "invalid_token" {
			t.Fatalf("the earlier link after a new request: %s", r.raw)
		}
		if err := e.auth.SetPassword(context.Background(), u.ID, "Admin#Set2027"); err != nil {
			t.Fatal(err)
		}
		if r := anon.do("POST", "/api/v1/password-reset/confirm", map[string]any{"token": second, "password": "Brand#New2027"}); r.errCode() != "invalid_token" {
			t.Fatalf("a link after the administrator set the password: %s", r.raw)
		}
	})
}

// TestResetMailInBackground: a reset request is answered while the SMTP
// server has not even greeted, so a slow mail server cannot hold requests
// and the answer takes as long for a known login as for an unknown one.
func TestResetMailInBackground(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	greeted := make(chan struct{})
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		<-release
		_, _ = c.Write([]byte("421 closing\r\n"))
		_, _ = bufio.NewReader(c).ReadString('\n')
		close(greeted)
	}()
	defer ln.Close()
	smtp, err := mail.NewSMTP("smtp://" + ln.Addr().String() + "?from=callrec@example.com")
	if err != nil {
		t.Fatal(err)
	}
	b := storetest.Backends()[0]
	e := newEnv(t, b, unlimited, func(o *auth.Options) { o.Mail = smtp })
	anon := &client{e: e}
	answered := make(chan int, 1)
	go func() {
		answered <- anon.do("POST", "/api/v1/password-reset", map[string]any{"login": e.users["A:supervisor"].Login}).status
	}()
	select {
	case status := <-answered:
		if status != http.StatusAccepted {
			t.Fatalf("reset request: %d", status)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the reset request waits for the mail server")
	}
	close(release)
	<-greeted
	e.auth.FlushMail()
}

// TestUnauthenticatedAttemptsAggregate: a client's first few failed
// attempts in a minute are audited one by one, the rest as one entry with
// their count once the minute is over.
func TestUnauthenticatedAttemptsAggregate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, unlimited)
		anon := &client{e: e}
		for i := range 20 {
			anon.do("POST", "/api/v1/session", map[string]string{"login": "ghost" + strconv.Itoa(i), "password": "x"})
		}
		list := func(action string) []store.AuditEntry {
			entries, _, err := e.db.Q().ListAudit(context.Background(), "", store.AuditFilter{Action: action, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			return entries
		}
		if n := len(list("signin.failure")); n != 5 {
			t.Fatalf("%d failures written one by one, want 5", n)
		}
		if n := len(list("auth.attempts")); n != 0 {
			t.Fatalf("aggregate written before its minute ended")
		}
		e.clock.Advance(time.Minute)
		anon.do("POST", "/api/v1/session", map[string]string{"login": "ghost", "password": "x"})
		agg := list("auth.attempts")
		if len(agg) != 1 || !strings.Contains(agg[0].Detail, `"attempts":"15"`) || agg[0].IP != "127.0.0.1" {
			t.Fatalf("aggregate %+v, want one entry of 15 attempts from 127.0.0.1", agg)
		}
		if n := len(list("signin.failure")); n != 6 {
			t.Fatalf("%d failures one by one after the minute, want 6", n)
		}
	})
}

// TestTOTPSecretSealed: with the installation's key, a 2-step secret is
// stored sealed (the database alone does not give it) and still signs in;
// one stored in the clear by an earlier version is sealed at start-up.
func TestTOTPSecretSealed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		key := make([]byte, 32)
		box, err := secretbox.New(key)
		if err != nil {
			t.Fatal(err)
		}
		e := newEnv(t, b, unlimited, func(o *auth.Options) { o.Box = box })
		u := e.users["A:supervisor"]
		c, _ := e.sessionClient(u.Login, testPassword, "")
		c.want(http.StatusOK, "POST", "/api/v1/me/terms", map[string]any{"version": 1})
		secret, _ := c.want(http.StatusOK, "POST", "/api/v1/me/two-factor", nil).body["secret"].(string)
		code, _ := auth.TOTPCode(secret, e.clock.Now())
		c.want(http.StatusOK, "POST", "/api/v1/me/two-factor/confirm", map[string]any{"code": code})
		stored, _ := e.db.Q().GetUserByID(context.Background(), u.ID)
		if !strings.HasPrefix(stored.TOTPSecret, "sealed:") || strings.Contains(stored.TOTPSecret, secret) {
			t.Fatalf("stored secret %q", stored.TOTPSecret)
		}
		e.clock.Advance(30 * time.Second)
		code, _ = auth.TOTPCode(secret, e.clock.Now())
		if _, r := e.sessionClient(u.Login, testPassword, code); r.status != http.StatusOK {
			t.Fatalf("sign-in with a sealed secret: %d %s", r.status, r.raw)
		}
		// An earlier version's clear secret.
		if err := e.db.Q().SetTOTP(context.Background(), u.ID, secret, true); err != nil {
			t.Fatal(err)
		}
		if n, err := e.auth.SealStoredSecrets(context.Background()); err != nil || n != 1 {
			t.Fatalf("sealed %d (%v), want 1", n, err)
		}
		if again, _ := e.db.Q().GetUserByID(context.Background(), u.ID); !strings.HasPrefix(again.TOTPSecret, "sealed:") {
			t.Fatalf("still in the clear: %q", again.TOTPSecret)
		}
		e.clock.Advance(30 * time.Second)
		code, _ = auth.TOTPCode(secret, e.clock.Now())
		if _, r := e.sessionClient(u.Login, testPassword, code); r.status != http.StatusOK {
			t.Fatalf("sign-in after sealing: %d %s", r.status, r.raw)
		}
	})
}

// TestBearerHasNoSignInToComplete: the 2-step step of a session sent with
// a bearer token is refused, not a crash (it dereferenced the session).
func TestBearerHasNoSignInToComplete(t *testing.T) {
	e := newEnv(t, storetest.Backends()[0], unlimited)
	r := e.tokenClient("A:admin").do("POST", "/api/v1/me/two-factor/verify", map[string]any{"code": "123456"})
	if r.status != http.StatusForbidden || r.errCode() != "sign_in_incomplete" {
		t.Fatalf("bearer verify: %d %s", r.status, r.raw)
	}
}
