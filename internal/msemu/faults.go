package msemu

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Fault kinds that /emu/faults accepts.
const (
	// FaultPolicyRace fails the next policy creations with the replication
	// race the integration guide tells admins to retry after 30 seconds.
	FaultPolicyRace = "policy_race"
	// FaultInstanceSync fails the next application instance creations (their
	// mapping to the app in the agent provisioning service) with
	// "Failed to update application instance in APS".
	FaultInstanceSync = "instance_sync"
	// FaultThrottle answers the next matching requests 429 with Retry-After.
	FaultThrottle = "throttle"
	// FaultUnavailable answers the next matching requests 503.
	FaultUnavailable = "unavailable"
)

// Fault is one scripted failure: the next Count matching calls fail.
type Fault struct {
	ID         int    `json:"id"`
	Kind       string `json:"kind"`
	Count      int    `json:"count"`
	PathPrefix string `json:"path_prefix,omitempty"`
	RetryAfter int    `json:"retry_after_seconds,omitempty"`
}

type faultBook struct {
	mu     sync.Mutex
	nextID int
	faults []*Fault
}

func (b *faultBook) add(f Fault) (Fault, error) {
	switch f.Kind {
	case FaultPolicyRace, FaultInstanceSync, FaultThrottle, FaultUnavailable:
	default:
		return Fault{}, fmt.Errorf("unknown fault kind %q (want %s, %s, %s or %s)", f.Kind,
			FaultPolicyRace, FaultInstanceSync, FaultThrottle, FaultUnavailable)
	}
	if f.Count <= 0 {
		f.Count = 1
	}
	if f.Kind == FaultThrottle && f.RetryAfter <= 0 {
		f.RetryAfter = 5
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.nextID++
	f.ID = b.nextID
	b.faults = append(b.faults, &f)
	return f, nil
}

func (b *faultBook) list() []Fault {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := []Fault{}
	for _, f := range b.faults {
		out = append(out, *f)
	}
	return out
}

func (b *faultBook) clear() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.faults = nil
}

// take consumes one use of the first fault of one of kinds matching path.
func (b *faultBook) take(path string, kinds ...string) *Fault {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, f := range b.faults {
		if !slices.Contains(kinds, f.Kind) || !strings.HasPrefix(path, f.PathPrefix) {
			continue
		}
		f.Count--
		got := *f
		if f.Count <= 0 {
			b.faults = append(b.faults[:i], b.faults[i+1:]...)
		}
		return &got
	}
	return nil
}

// injectFault answers a request with a scripted 429 or 503, if one is due.
func (e *Emulator) injectFault(w http.ResponseWriter, r *http.Request) bool {
	f := e.faults.take(r.URL.Path, FaultThrottle, FaultUnavailable)
	if f == nil {
		return false
	}
	if f.Kind == FaultThrottle {
		w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
		e.writeHostError(w, r, http.StatusTooManyRequests, "TooManyRequests",
			"Too many requests. Please retry after the time given in the Retry-After header.")
		return true
	}
	e.writeHostError(w, r, http.StatusServiceUnavailable, "ServiceUnavailable",
		"The service is temporarily unavailable. Please retry later.")
	return true
}

// writeHostError writes an error in the shape of the host the path belongs to.
func (e *Emulator) writeHostError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	switch hostOf(r.URL.Path) {
	case "login.microsoftonline.com":
		e.writeAADError(w, &aadError{status: status, err: "temporarily_unavailable", code: 90033,
			desc: "A transient error has occurred. Please try again."})
	case "api.interfaces.records.teams.microsoft.com":
		writeTeamsError(w, &teamsError{status: status, Code: code, Message: msg})
	default:
		e.writeGraphError(w, &graphError{status: status, Code: code, Message: msg})
	}
}
