package msemu

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// Event is one entry of the emulator's log. Kind says what happened ("http"
// for every call made to the emulator); Data carries kind-specific detail, so
// later kinds (calls, notifications, media) join the same log and sequence.
type Event struct {
	Seq    int64          `json:"seq"`
	Time   time.Time      `json:"time"`
	Kind   string         `json:"kind"`
	Host   string         `json:"host,omitempty"`
	Method string         `json:"method,omitempty"`
	Path   string         `json:"path,omitempty"`
	Query  string         `json:"query,omitempty"`
	Status int            `json:"status,omitempty"`
	Data   map[string]any `json:"data,omitempty"`
}

// EventKindHTTP marks an event recording one HTTP call to the emulator.
const EventKindHTTP = "http"

type eventLog struct {
	mu     sync.Mutex
	limit  int
	next   int64
	events []Event
}

func newEventLog(limit int) *eventLog {
	if limit <= 0 {
		limit = 10000
	}
	return &eventLog{limit: limit}
}

func (l *eventLog) add(ev Event) Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.next++
	ev.Seq = l.next
	l.events = append(l.events, ev)
	if len(l.events) > l.limit {
		l.events = append([]Event(nil), l.events[len(l.events)-l.limit:]...)
	}
	return ev
}

func (l *eventLog) since(seq int64, kind string) []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := []Event{}
	for _, ev := range l.events {
		if ev.Seq > seq && (kind == "" || ev.Kind == kind) {
			out = append(out, ev)
		}
	}
	return out
}

// Record appends an event to the log, stamping its sequence number and,
// when unset, its time. Other parts of the emulator use it to log what they do.
func (e *Emulator) Record(ev Event) Event {
	if ev.Time.IsZero() {
		ev.Time = e.clock.Now()
	}
	return e.events.add(ev)
}

// Events returns the events after sequence number since, optionally of one kind.
func (e *Emulator) Events(since int64, kind string) []Event {
	return e.events.since(since, kind)
}

func (e *Emulator) recordHTTP(r *http.Request, status int, at time.Time) {
	ev := Event{
		Time: at, Kind: EventKindHTTP, Host: hostOf(r.URL.Path),
		Method: r.Method, Path: r.URL.Path, Query: redactQuery(r.URL.RawQuery), Status: status,
	}
	if strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") && r.PostForm != nil {
		// Which grant was used matters to tests (was a refresh token used?);
		// the secrets in the form do not go into the log.
		ev.Data = map[string]any{"grant_type": r.PostForm.Get("grant_type")}
	}
	e.Record(ev)
}

// hostOf names the Microsoft host a path belongs to.
func hostOf(path string) string {
	switch {
	case strings.HasPrefix(path, "/v1.0/"):
		return "graph.microsoft.com"
	case strings.HasPrefix(path, TeamsAdminPrefix+"/"):
		return "api.interfaces.records.teams.microsoft.com"
	case strings.HasPrefix(path, "/admin"):
		return "admin.microsoft.com"
	case strings.HasPrefix(path, "/myapps"):
		return "myapps.microsoft.com"
	case strings.HasPrefix(path, "/botframework/"):
		return "api.aps.skype.com"
	case strings.HasPrefix(path, "/emu/"):
		return "emu"
	default:
		return "login.microsoftonline.com"
	}
}

// redactQuery keeps codes and verifiers out of the log.
func redactQuery(q string) string {
	if q == "" {
		return ""
	}
	parts := strings.Split(q, "&")
	for i, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		switch k {
		case "code", "code_verifier", "client_secret", "password":
			parts[i] = k + "=REDACTED"
		}
	}
	return strings.Join(parts, "&")
}
