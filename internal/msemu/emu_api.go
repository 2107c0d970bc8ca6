package msemu

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

func (e *Emulator) emuConfig(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, e.Config())
}

func (e *Emulator) emuEvents(w http.ResponseWriter, r *http.Request) {
	since, _ := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
	writeJSON(w, http.StatusOK, map[string]any{"events": e.Events(since, r.URL.Query().Get("kind"))})
}

func (e *Emulator) emuListFaults(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"faults": e.faults.list()})
}

func (e *Emulator) emuAddFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	if err := decodeJSON(r, &f); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]string{"code": "bad_request", "message": err.Error()}})
		return
	}
	f, err := e.faults.add(f)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]string{"code": "bad_request", "message": err.Error()}})
		return
	}
	writeJSON(w, http.StatusCreated, f)
}

func (e *Emulator) emuClearFaults(w http.ResponseWriter, r *http.Request) {
	e.faults.clear()
	w.WriteHeader(http.StatusNoContent)
}

// emuReplication sets the replication delay: {"delay_seconds": 5}.
func (e *Emulator) emuReplication(w http.ResponseWriter, r *http.Request) {
	var b struct {
		DelaySeconds float64 `json:"delay_seconds"`
	}
	if err := decodeJSON(r, &b); err != nil || b.DelaySeconds < 0 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]string{"code": "bad_request", "message": "want {\"delay_seconds\": n ≥ 0}"}})
		return
	}
	e.SetReplicationDelay(time.Duration(b.DelaySeconds * float64(time.Second)))
	writeJSON(w, http.StatusOK, b)
}

// emuTeamsAdminRole gives an app's service principal the Teams
// Administrator role, as an admin would in Entra, so app-only tokens may
// manage policies.
func (e *Emulator) emuTeamsAdminRole(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t := e.w.findTenant(r.PathValue("tenant"))
	if t == nil || t.spByAppID(r.PathValue("app")) == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]string{"code": "not_found", "message": "no such tenant or service principal (consent first)"}})
		return
	}
	t.spByAppID(r.PathValue("app")).TeamsAdmin = r.Method == http.MethodPut
	w.WriteHeader(http.StatusNoContent)
}

type snapshot struct {
	World      *world `json:"world"`
	SigningKey []byte `json:"signing_key"`
	// BotSigningKey keeps the notification key across restarts, so bots
	// that cached the JWKS keep verifying.
	BotSigningKey []byte `json:"bot_signing_key,omitempty"`
	DelayNanos    int64  `json:"replication_delay_ns"`
}

// Save writes the whole cloud, signing key included, as JSON.
func (e *Emulator) Save(w io.Writer) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := snapshot{World: e.w, SigningKey: marshalKey(e.key), BotSigningKey: marshalKey(e.botKey), DelayNanos: int64(e.delay)}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("msemu: save snapshot: %w", err)
	}
	return nil
}

// Load replaces the cloud with a snapshot written by Save.
func (e *Emulator) Load(r io.Reader) error {
	var s snapshot
	if err := json.NewDecoder(r).Decode(&s); err != nil {
		return fmt.Errorf("msemu: read snapshot: %w", err)
	}
	if s.World == nil || s.World.Tenants == nil {
		return fmt.Errorf("msemu: snapshot holds no tenants")
	}
	key, err := unmarshalKey(s.SigningKey)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(s.BotSigningKey) > 0 {
		bot, err := unmarshalKey(s.BotSigningKey)
		if err != nil {
			return err
		}
		setBotKey(e, bot)
	}
	e.w, e.key, e.kid, e.delay = s.World, key, keyID(&key.PublicKey), time.Duration(s.DelayNanos)
	return nil
}
