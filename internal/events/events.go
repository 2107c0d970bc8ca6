// Package events carries live updates — calls starting and ending, job
// progress — from whoever makes them to the browsers and API clients that
// watch (/api/v1/events). Events are scoped to a tenant.
package events

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// Event is one update. Kind names what changed ("call.started",
// "call.ended", "integration.progress", …); Data is its JSON payload.
type Event struct {
	TenantID string          `json:"tenant_id"`
	Kind     string          `json:"kind"`
	Data     json.RawMessage `json:"data"`
	At       time.Time       `json:"at"`
}

// New builds an event with data marshalled to JSON.
func New(tenantID, kind string, data any, at time.Time) Event {
	b, err := json.Marshal(data)
	if err != nil {
		b = []byte(`null`)
	}
	return Event{TenantID: tenantID, Kind: kind, Data: b, At: at.UTC()}
}

// Bus delivers events to subscribers of the event's tenant. Publishing never
// blocks: a subscriber that cannot keep up loses events and is told so by a
// "lagged" event, after which it should reload what it shows.
type Bus interface {
	Publish(ctx context.Context, e Event)
	Subscribe(tenantID string) (<-chan Event, func())
}

// Local is an in-process Bus, enough when one process serves both the
// producers and the watchers (SQLite installs, tests).
type Local struct {
	mu   sync.Mutex
	subs map[string]map[chan Event]bool
}

// NewLocal returns an empty in-process bus.
func NewLocal() *Local { return &Local{subs: map[string]map[chan Event]bool{}} }

const bufferPerSubscriber = 64

// Publish hands e to every subscriber of its tenant without blocking.
func (b *Local) Publish(_ context.Context, e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs[e.TenantID] {
		select {
		case ch <- e:
		default:
			// Drop the oldest queued event to make room for a lag marker.
			select {
			case <-ch:
			default:
			}
			select {
			case ch <- Event{TenantID: e.TenantID, Kind: "lagged", Data: []byte(`null`), At: e.At}:
			default:
			}
		}
	}
}

// Subscribe returns a channel of the tenant's events and a function that
// ends the subscription and closes the channel.
func (b *Local) Subscribe(tenantID string) (<-chan Event, func()) {
	ch := make(chan Event, bufferPerSubscriber)
	b.mu.Lock()
	if b.subs[tenantID] == nil {
		b.subs[tenantID] = map[chan Event]bool{}
	}
	b.subs[tenantID][ch] = true
	b.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs[tenantID], ch)
			if len(b.subs[tenantID]) == 0 {
				delete(b.subs, tenantID)
			}
			b.mu.Unlock()
			close(ch)
		})
	}
}
