package cli

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"callrec/internal/config"
	"callrec/internal/integration"
	"callrec/internal/msemu"
	"callrec/internal/msemu/mstest"
	"callrec/internal/store/storetest"
)

// teamsWorld is the whole demo stack in this process, with the Contoso
// tenant admin signed in to callrec.
type teamsWorld struct {
	t    *testing.T
	st   *stack
	b    *mstest.Browser
	csrf string
}

const (
	adeleUPN = "AdeleV@" + msemu.ContosoDomain
	alexUPN  = "AlexW@" + msemu.ContosoDomain
)

func freePort(t *testing.T) int {
	for i := 0; i < 20; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			u.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

func startTeamsWorld(t *testing.T, b storetest.Backend, answerDeadline time.Duration) *teamsWorld {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cfg := config.Load(func(string) string { return "" })
	cfg.DataDir, cfg.DatabaseURL = t.TempDir(), b.URL(t)
	cfg.HTTPAddr, cfg.SIPAddr = "127.0.0.1:0", fmt.Sprintf("127.0.0.1:%d", freePort(t))
	// A block of its own per database, apart from the ranges other
	// packages' tests use, since packages are tested in parallel.
	rtp := map[string]int{"sqlite": 41000, "postgres": 41500}[b.Name]
	cfg.RTPPorts = fmt.Sprintf("%d-%d", rtp, rtp+499)
	if err := cfg.Finish(); err != nil {
		t.Fatal(err)
	}
	cfg.PublicURL = "" // from the listener, once it has a port
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("CALLREC_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	st, err := startStack(ctx, cfg, stackOptions{MSAddr: "127.0.0.1:0", Seed: true,
		Emu: msemu.Options{AnswerDeadline: answerDeadline}}, log)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = st.Wait() })
	w := &teamsWorld{t: t, st: st, b: mstest.New(t, st.MSURL, "/admin/integrations/teams")}
	var out struct {
		CSRF  string `json:"csrf_token"`
		Stage string `json:"stage"`
	}
	w.api("POST", "/api/v1/session", map[string]string{"login": "admin@contoso.example", "password": "Contoso#2026"}, 200, &out)
	w.csrf = out.CSRF
	if out.Stage == "terms" {
		w.api("POST", "/api/v1/me/terms", map[string]int{"version": 1}, 200, nil)
	}
	return w
}

// api calls callrec as the signed-in tenant admin.
func (w *teamsWorld) api(method, path string, body any, want int, out any) []byte {
	w.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, w.st.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", w.csrf)
	res, err := w.b.C.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if want != 0 && res.StatusCode != want {
		w.t.Fatalf("%s %s: %d, want %d: %s", method, path, res.StatusCode, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			w.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return raw
}

func (w *teamsWorld) integration() integration.View {
	var v integration.View
	w.api("GET", "/api/v1/integrations/teams", nil, 200, &v)
	return v
}

// eventually polls until ok or the timeout.
func (w *teamsWorld) eventually(what string, timeout time.Duration, ok func() bool) {
	w.t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			w.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// connect runs the wizard with the guide's defaults (as in the guide:
// sign in, admin consent, configure, apply) and waits for the job.
func (w *teamsWorld) connect(cfg integration.Config) integration.View {
	w.t.Helper()
	w.api("POST", "/api/v1/integrations/teams", map[string]string{"mode": "automation"}, 201, nil)
	for _, step := range []string{"signin", "consent"} {
		var out struct {
			URL string `json:"redirect_url"`
		}
		w.api("POST", "/api/v1/integrations/teams/"+step, nil, 200, &out)
		w.b.Microsoft(out.URL, adeleUPN, msemu.AdminPassword, "accept")
	}
	w.api("PUT", "/api/v1/integrations/teams/config", cfg, 200, nil)
	w.api("POST", "/api/v1/integrations/teams/apply", nil, 202, nil)
	var v integration.View
	w.eventually("the integration to connect", 60*time.Second, func() bool {
		v = w.integration()
		return v.Status == integration.StatusConnected || v.JobState == "failed"
	})
	if v.Status != integration.StatusConnected {
		w.t.Fatalf("integration %s: %+v", v.Status, v.Steps)
	}
	return v
}

type apiCall struct {
	ID             string `json:"id"`
	State          string `json:"state"`
	Recorded       bool   `json:"recorded"`
	DecisionReason string `json:"decision_reason"`
	RecordedUserID string `json:"recorded_user_id"`
	ExternalCallID string `json:"external_call_id"`
	DurationMS     int64  `json:"duration_ms"`
	Direction      string `json:"direction"`
}

func (w *teamsWorld) calls() []apiCall {
	var out struct {
		Items []apiCall `json:"items"`
	}
	w.api("GET", "/api/v1/calls?limit=100", nil, 200, &out)
	return out.Items
}

// place places a call in the emulator and returns its id.
func (w *teamsWorld) place(from, to string, seconds float64) string {
	w.t.Helper()
	id, err := w.st.Emu.PlaceCall(msemu.PlaceCall{From: from, To: to, DurationSeconds: seconds})
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

func (w *teamsWorld) waitEnded(id string, timeout time.Duration) msemu.CallInfo {
	w.t.Helper()
	var c *msemu.CallInfo
	w.eventually("call "+id+" to end", timeout, func() bool {
		c = w.st.Emu.CallView(id)
		return c != nil && c.EndedAt != nil
	})
	return *c
}

// wav parses a 16-bit PCM WAV into its channels.
func wavChannels(t *testing.T, b []byte) (rate int, ch [][]float64) {
	t.Helper()
	if len(b) < 44 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		t.Fatalf("not a WAV file (%d bytes)", len(b))
	}
	var n int
	var data []byte
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), int(binary.LittleEndian.Uint32(b[off+4:off+8]))
		body := b[off+8 : min(off+8+size, len(b))]
		switch id {
		case "fmt ":
			n = int(binary.LittleEndian.Uint16(body[2:4]))
			rate = int(binary.LittleEndian.Uint32(body[4:8]))
		case "data":
			data = body
		}
		off += 8 + size + size%2
	}
	ch = make([][]float64, n)
	for i := 0; i+2*n <= len(data); i += 2 * n {
		for c := 0; c < n; c++ {
			ch[c] = append(ch[c], float64(int16(binary.LittleEndian.Uint16(data[i+2*c:]))))
		}
	}
	return rate, ch
}

// envelope is the RMS of each 20 ms frame, which survives compression.
func envelope(x []float64, rate int) []float64 {
	f := rate / 50
	var out []float64
	for i := 0; i+f <= len(x); i += f {
		var s float64
		for _, v := range x[i : i+f] {
			s += v * v
		}
		out = append(out, math.Sqrt(s/float64(f)))
	}
	return out
}

// matchShare says in what share of one-second windows the recorded
// envelope rec correlates better with want than with other (each searched
// within ±2 s, so jitter and the edge's catch-up burst cannot misalign it),
// and how well it matches want on average in those windows.
func matchShare(rec, want, other []float64) (share, quality float64) {
	const win, slack = 50, 100
	n, wins := 0, 0
	for i := 0; i+win <= len(rec); i += win {
		w := bestCorr(rec[i:i+win], want, i, slack)
		o := bestCorr(rec[i:i+win], other, i, slack)
		n++
		if w > o {
			wins++
			quality += w
		}
	}
	if n == 0 || wins == 0 {
		return 0, 0
	}
	return float64(wins) / float64(n), quality / float64(wins)
}

func bestCorr(seg, ref []float64, at, slack int) float64 {
	best := -1.0
	for j := max(0, at-slack); j <= at+slack && j+len(seg) <= len(ref); j++ {
		best = max(best, pearson(seg, ref[j:j+len(seg)]))
	}
	return best
}

func pearson(a, b []float64) float64 {
	var ma, mb float64
	for i := range a {
		ma += a[i]
		mb += b[i]
	}
	ma /= float64(len(a))
	mb /= float64(len(b))
	var num, da, db float64
	for i := range a {
		num += (a[i] - ma) * (b[i] - mb)
		da += (a[i] - ma) * (a[i] - ma)
		db += (b[i] - mb) * (b[i] - mb)
	}
	if da == 0 || db == 0 {
		return 0
	}
	return num / math.Sqrt(da*db)
}

// sampleEnvelope decodes one of the emulator's bundled µ-law samples,
// repeated to at least n seconds.
func sampleEnvelope(t *testing.T, name string, seconds float64) []float64 {
	raw, err := os.ReadFile("../msemu/samples/" + name + ".ulaw")
	if err != nil {
		t.Fatal(err)
	}
	var pcm []float64
	for len(pcm) < int(seconds*8000) {
		for _, u := range raw {
			pcm = append(pcm, float64(ulawDecode(u)))
		}
	}
	return envelope(pcm, 8000)
}

func ulawDecode(u byte) int16 {
	u = ^u
	t := (int16(u&0x0f) << 3) + 0x84
	t <<= (u & 0x70) >> 4
	if u&0x80 != 0 {
		return 0x84 - t
	}
	return t - 0x84
}

func TestTeamsCallRecordedEndToEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := startTeamsWorld(t, b, 5*time.Second)
		v := w.connect(integration.DefaultConfig())
		w.b.AdminSignIn(adeleUPN, msemu.AdminPassword)
		w.b.AddMember(v.Resources.GroupID, alexUPN)

		const seconds = 8.0
		id := w.place(alexUPN, "+15551230000", seconds)
		// Live: the recording is listed as active during the call.
		var live apiCall
		w.eventually("the call to be listed as active", 5*time.Second, func() bool {
			for _, c := range w.calls() {
				if c.State == "active" {
					live = c
					return true
				}
			}
			return false
		})
		ended := w.waitEnded(id, 20*time.Second)
		endAt := time.Now()
		// Playable within 1 s after it ends.
		var wav []byte
		w.eventually("the recording to be playable", 5*time.Second, func() bool {
			var c apiCall
			w.api("GET", "/api/v1/calls/"+live.ID, nil, 200, &c)
			if c.State != "completed" {
				return false
			}
			wav = w.api("GET", "/api/v1/calls/"+live.ID+"/audio?format=wav", nil, 0, nil)
			return len(wav) > 44
		})
		if d := time.Since(endAt); d > time.Second {
			t.Errorf("playable %s after the call ended, want ≤ 1 s", d)
		}
		// What the participants saw and heard.
		alex, pstn := ended.Parties[0], ended.Parties[1]
		if !alex.BannerShown || !pstn.AnnouncementHeard {
			t.Errorf("banner %v, announcement %v", alex.BannerShown, pstn.AnnouncementHeard)
		}
		rec := alex.Recorders[0]
		if rec.RecordingStatus != "recording" {
			t.Errorf("bot leg %+v", rec)
		}
		// The bot answered within a second of being invited, and the
		// event log has what the parties saw and heard.
		var notified, answered time.Time
		seen := map[string]bool{}
		for _, e := range w.st.Emu.Events(0, msemu.EventKindCall) {
			if e.Data["call_id"] != id {
				continue
			}
			name, _ := e.Data["event"].(string)
			seen[name] = true
			if e.Data["leg"] == rec.Leg && name == "notified" {
				notified = e.Time
			}
			if e.Data["leg"] == rec.Leg && name == "answered" {
				answered = e.Time
			}
		}
		if notified.IsZero() || answered.IsZero() || answered.Sub(notified) > time.Second {
			t.Errorf("bot invited at %v, answered at %v: want within 1 s", notified, answered)
		}
		if !seen["banner"] || !seen["announcement"] {
			t.Errorf("event log lacks the banner or the announcement: %v", seen)
		}
		// The recording: stereo, the call's length, each side on its channel.
		rate, ch := wavChannels(t, wav)
		if len(ch) != 2 {
			t.Fatalf("%d channels, want stereo", len(ch))
		}
		got := float64(len(ch[0])) / float64(rate)
		if math.Abs(got-seconds)/seconds > 0.01 {
			t.Errorf("recording lasts %.3f s, call %.1f s (more than 1%% apart)", got, seconds)
		}
		caller, callee := sampleEnvelope(t, "caller", seconds+3), sampleEnvelope(t, "callee", seconds+3)
		e0, e1 := envelope(ch[0], rate), envelope(ch[1], rate)
		share0, q0 := matchShare(e0, caller, callee)
		share1, q1 := matchShare(e1, callee, caller)
		t.Logf("channel 0 matches the caller in %.0f%% of seconds (%.2f), channel 1 the callee in %.0f%% (%.2f)", share0*100, q0, share1*100, q1)
		if share, q := share0, q0; share < 0.75 || q < 0.6 {
			t.Errorf("channel 0 (Alex) carries the caller's speech in %.0f%% of seconds (quality %.2f)", share*100, q)
		}
		if share, q := share1, q1; share < 0.75 || q < 0.6 {
			t.Errorf("channel 1 (the PSTN party) carries the callee's speech in %.0f%% of seconds (quality %.2f)", share*100, q)
		}
		// The user was provisioned at first sight with the defaults.
		var u struct {
			Name                string   `json:"name"`
			Role                string   `json:"role"`
			Licenses            []string `json:"licenses"`
			Extensions          []string `json:"extensions"`
			SpeechAnalyticsType string   `json:"speech_analytics_type"`
			Groups              []string `json:"groups"`
		}
		w.api("GET", "/api/v1/users/"+live.RecordedUserID, nil, 200, &u)
		if u.Name != "Alex Wilber" || u.Role != "user" || strings.Join(u.Licenses, ",") != "call_recording,live_monitoring" ||
			u.SpeechAnalyticsType != "advanced" || len(u.Extensions) != 1 || len(u.Groups) != 1 {
			t.Errorf("provisioned user %+v", u)
		}
		t.Logf("answer → established → recording: bot leg %s", rec.Leg)
	})
}

// legStatus is what became of the first recording-bot invitation of a
// party of an emulated call ("" when no recorder was invited).
func legStatus(c msemu.CallInfo, party int) string {
	if len(c.Parties[party].Recorders) == 0 {
		return ""
	}
	return c.Parties[party].Recorders[0].Status
}

func (w *teamsWorld) recordedCalls() int {
	n := 0
	for _, c := range w.calls() {
		if c.Recorded {
			n++
		}
	}
	return n
}

// The bot's refusals: forged tokens, duplicates, users not to record,
// users outside the group, and a tenant that disconnected.
func TestTeamsBotRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := startTeamsWorld(t, b, 5*time.Second)
		v := w.connect(integration.DefaultConfig())
		w.b.AdminSignIn(adeleUPN, msemu.AdminPassword)
		w.b.AddMember(v.Resources.GroupID, alexUPN)

		// A forged notification gets 401 and creates nothing.
		req, _ := http.NewRequest(http.MethodPost, w.st.URL+"/api/teams/calling", strings.NewReader(`{"value":[{"changeType":"created"}]}`))
		req.Header.Set("Authorization", "Bearer eyJhbGciOiJSUzI1NiJ9.eyJ0aWQiOiJ4In0.c2lnbmF0dXJl")
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("forged token: %v %v", res, err)
		}
		res.Body.Close()

		// A recorded call, whose incoming notification Microsoft then
		// delivers a second time: still one recording.
		first := w.waitEnded(w.place(alexUPN, "+15551230000", 1), 20*time.Second)
		if err := w.st.Emu.RedeliverIncoming(first.Parties[0].Recorders[0].Leg); err != nil {
			t.Fatal(err)
		}
		w.eventually("the first recording", 5*time.Second, func() bool { return w.recordedCalls() == 1 })
		time.Sleep(300 * time.Millisecond)
		if n := w.recordedCalls(); n != 1 {
			t.Fatalf("%d recordings after a duplicate notification, want 1", n)
		}

		// A user set to Never is not recorded: the bot declines.
		var alex struct {
			ID string `json:"id"`
		}
		var list struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		w.api("GET", "/api/v1/users?search=Alex+Wilber&limit=10", nil, 200, &list)
		for _, it := range list.Items {
			var u struct {
				ID         string   `json:"id"`
				Extensions []string `json:"extensions"`
			}
			w.api("GET", "/api/v1/users/"+it.ID, nil, 200, &u)
			if len(u.Extensions) == 1 && strings.Contains(u.Extensions[0], "-") {
				alex.ID = u.ID
			}
		}
		w.api("PATCH", "/api/v1/users/"+alex.ID, map[string]string{"record": "never"}, 200, nil)
		never := w.waitEnded(w.place(alexUPN, "+15551230000", 1), 20*time.Second)
		if st := legStatus(never, 0); st != "rejected" {
			t.Errorf("a user set to Never: leg %q, want rejected", st)
		}
		w.api("PATCH", "/api/v1/users/"+alex.ID, map[string]string{"record": "always"}, 200, nil)

		// Removed from the group: not recorded on the next call.
		w.b.RemoveMember(v.Resources.GroupID, alexUPN)
		gone := w.waitEnded(w.place(alexUPN, "+15551230000", 1), 20*time.Second)
		if st := legStatus(gone, 0); st != "" {
			t.Errorf("a user outside the group: leg %q, want no recorder invited", st)
		}
		if n := w.recordedCalls(); n != 1 {
			t.Errorf("%d recordings, want still 1", n)
		}

		// A tenant whose integration is disconnected (its policy left in
		// place) is refused by the bot.
		w.b.AddMember(v.Resources.GroupID, alexUPN)
		o := integration.DisconnectOptions{Mode: "automation", ConfirmDomain: msemu.ContosoDomain}
		var out struct {
			URL string `json:"redirect_url"`
		}
		w.api("POST", "/api/v1/integrations/teams/disconnect", o, 200, &out)
		w.b.Microsoft(out.URL, adeleUPN, msemu.AdminPassword, "accept")
		w.eventually("the disconnect", 30*time.Second, func() bool { return w.integration().Status == integration.StatusDisconnected })
		refused := w.waitEnded(w.place(alexUPN, "+15551230000", 1), 20*time.Second)
		if st := legStatus(refused, 0); st != "rejected" {
			t.Errorf("a disconnected tenant: leg %q, want rejected", st)
		}
	})
}

// RequiredBeforeCallEstablishment with the bot unreachable blocks the call.
func TestRequiredRecorderDownBlocksTheCall(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := startTeamsWorld(t, b, time.Second)
		cfg := integration.DefaultConfig()
		cfg.Flags.RequiredBeforeCallEstablishment = true
		v := w.connect(cfg)
		w.b.AdminSignIn(adeleUPN, msemu.AdminPassword)
		w.b.AddMember(v.Resources.GroupID, alexUPN)
		w.st.Emu.SetCallingWebhook("http://127.0.0.1:1/api/teams/calling") // the bot is down
		c := w.waitEnded(w.place(alexUPN, "+15551230000", 2), 20*time.Second)
		if c.State != "blocked" || c.ConnectedAt != nil {
			t.Fatalf("call %s (connected %v), want blocked", c.State, c.ConnectedAt)
		}
		if n := w.recordedCalls(); n != 0 {
			t.Fatalf("%d recordings of a blocked call", n)
		}
	})
}

// Pausing a Teams call tells Teams: the banner goes away (notRecording)
// and comes back on resume (recording).
func TestTeamsPauseReportsRecordingStatus(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := startTeamsWorld(t, b, 5*time.Second)
		v := w.connect(integration.DefaultConfig())
		w.b.AdminSignIn(adeleUPN, msemu.AdminPassword)
		w.b.AddMember(v.Resources.GroupID, alexUPN)
		id := w.place(alexUPN, "+15551230000", 6)
		var live apiCall
		w.eventually("the call to be recording", 5*time.Second, func() bool {
			for _, c := range w.calls() {
				if c.State == "active" {
					live = c
					return true
				}
			}
			return false
		})
		w.api("POST", "/api/v1/calls/"+live.ID+"/pause", nil, 200, nil)
		w.eventually("the banner to go", 3*time.Second, func() bool { return !w.st.Emu.CallView(id).Parties[0].BannerShown })
		w.api("POST", "/api/v1/calls/"+live.ID+"/resume", nil, 200, nil)
		w.eventually("the banner to return", 3*time.Second, func() bool { return w.st.Emu.CallView(id).Parties[0].BannerShown })
		c := w.waitEnded(id, 20*time.Second)
		saw := strings.Join(c.Parties[0].Saw, " | ")
		if !strings.Contains(saw, "recording banner shown | recording banner removed | recording banner shown") {
			t.Errorf("Alex saw: %s", saw)
		}
	})
}
