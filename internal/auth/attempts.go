package auth

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"callrec/internal/store"
)

// attemptsLogged is how many unauthenticated attempts (failed sign-ins,
// lockouts, reset requests, refusals by the rate limits) one client gets
// written to the audit log one by one per minute. The rest of its minute
// becomes one "auth.attempts" entry with their count, so a client cannot
// grow the log by a thousand rows a second.
const attemptsLogged = 5

// attemptLog counts unauthenticated attempts per client and minute.
type attemptLog struct {
	mu      sync.Mutex
	clients map[string]*clientMinute
	swept   int64
}

type clientMinute struct {
	minute  int64          // Unix minute
	n       int            // attempts in it
	skipped map[string]int // attempts not written, by action
}

// admit counts an attempt of the client at now and says whether to write
// it on its own; finished minutes with skipped attempts are handed back to
// be written as aggregates.
func (l *attemptLog) admit(client, action string, now time.Time) (write bool, done map[string]*clientMinute) {
	minute := now.Unix() / 60
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.clients == nil {
		l.clients = map[string]*clientMinute{}
	}
	done = map[string]*clientMinute{}
	if l.swept != minute {
		l.swept = minute
		for k, c := range l.clients {
			if c.minute != minute {
				if len(c.skipped) > 0 {
					done[k] = c
				}
				delete(l.clients, k)
			}
		}
	}
	c := l.clients[client]
	if c == nil {
		c = &clientMinute{minute: minute, skipped: map[string]int{}}
		l.clients[client] = c
	}
	c.n++
	if c.n <= attemptsLogged {
		return true, done
	}
	c.skipped[action]++
	return false, done
}

// flushAll hands back every minute with skipped attempts (shutdown).
func (l *attemptLog) flushAll() map[string]*clientMinute {
	l.mu.Lock()
	defer l.mu.Unlock()
	done := map[string]*clientMinute{}
	for k, c := range l.clients {
		if len(c.skipped) > 0 {
			done[k] = c
		}
	}
	clear(l.clients)
	return done
}

// attempt audits an unauthenticated attempt, on its own or in its
// client's aggregate.
func (s *Service) attempt(ctx context.Context, u *store.User, login, action, ip string, detail map[string]string) {
	write, done := s.attempts.admit(clientKey(ip), action, s.now())
	s.writeAggregates(ctx, done)
	if write {
		_ = s.audit(ctx, s.db.Q(), u, login, action, ip, detail)
	}
}

// FlushAttempts writes the aggregates of attempts not yet written (at
// shutdown; the next attempt writes finished minutes otherwise).
func (s *Service) FlushAttempts(ctx context.Context) {
	s.writeAggregates(ctx, s.attempts.flushAll())
}

func (s *Service) writeAggregates(ctx context.Context, done map[string]*clientMinute) {
	for client, c := range done {
		total := 0
		for _, n := range c.skipped {
			total += n
		}
		by, _ := json.Marshal(c.skipped)
		detail := map[string]string{"minute": time.Unix(c.minute*60, 0).UTC().Format(time.RFC3339), "attempts": itoa(total), "by_action": string(by)}
		if err := s.audit(ctx, s.db.Q(), nil, "", "auth.attempts", client, detail); err != nil {
			s.log.Error("auth: aggregate audit", "err", err)
		}
	}
}
