package recorder

import (
	"sync"

	"callrec/internal/siprec"
)

// tenantLoad counts each tenant's live calls on this node against the
// tenant's max_calls, so that a tenant at its limit is refused while the
// others go on. The limit comes with the tenant row Start reads; while the
// database is down the last limit read for the tenant applies (none if it
// was never read), so an outage neither lifts a limit nor stops recording.
type tenantLoad struct {
	mu     sync.Mutex
	live   map[string]int // tenant → calls reserved or recording
	limits map[string]int // tenant → max_calls as last read; absent: none
}

// reserve takes one of the tenant's call slots, or answers 503 with
// Retry-After when the tenant already has its max_calls live on this node.
// fresh says maxCalls was just read; otherwise the last known limit holds.
func (l *tenantLoad) reserve(tenantID string, maxCalls int, fresh bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.live == nil {
		l.live, l.limits = map[string]int{}, map[string]int{}
	}
	switch {
	case fresh && maxCalls > 0:
		l.limits[tenantID] = maxCalls
	case fresh:
		delete(l.limits, tenantID)
	default:
		maxCalls = l.limits[tenantID]
	}
	if maxCalls > 0 && l.live[tenantID] >= maxCalls {
		return &siprec.Reject{Code: 503, Reason: "Tenant Call Limit Reached", RetryAfter: 5}
	}
	l.live[tenantID]++
	return nil
}

// release gives a slot back: the call ended or never started.
func (l *tenantLoad) release(tenantID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.live[tenantID] <= 1 {
		delete(l.live, tenantID)
		return
	}
	l.live[tenantID]--
}
