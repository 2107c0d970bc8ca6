package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"callrec/internal/account"
	"callrec/internal/auth"
	"callrec/internal/siprecload"
	"callrec/internal/store"
)

// spoken is espeak-ng reading text at 8 kHz (the telephone band the
// SIPREC generator then encodes as G.711 µ-law).
func spoken(t *testing.T, text, pitch string) []int16 {
	t.Helper()
	for _, tool := range []string{"espeak-ng", "sox"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (.ci/run installs it)", tool)
		}
	}
	dir := t.TempDir()
	wav, raw := filepath.Join(dir, "s.wav"), filepath.Join(dir, "s.raw")
	for _, cmd := range [][]string{{"espeak-ng", "-v", "en-us", "-s", "150", "-p", pitch, "-w", wav, text},
		{"sox", wav, "-r", "8000", "-c", "1", "-e", "signed-integer", "-b", "16", "-t", "raw", raw}} {
		if out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", cmd[0], err, out)
		}
	}
	b, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, len(b)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return pcm
}

// dialogueWAV writes a stereo 8 kHz WAV for siprec-load: the right channel
// feeds the agent's stream (the recorded user), the left the caller's.
// The agent speaks first, then the caller; it returns the call's length.
func dialogueWAV(t *testing.T, agent, caller []int16) (string, time.Duration) {
	t.Helper()
	gap := 4000 // half a second
	n := gap + len(agent) + gap + len(caller) + gap
	stereo := make([]int16, 2*n)
	for i, s := range agent {
		stereo[2*(gap+i)+1] = s
	}
	for i, s := range caller {
		stereo[2*(2*gap+len(agent)+i)] = s
	}
	path := filepath.Join(t.TempDir(), "dialogue.wav")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	size := uint32(4 * n)
	h := []byte("RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x02\x00\x40\x1f\x00\x00\x00\x7d\x00\x00\x04\x00\x10\x00data\x00\x00\x00\x00")
	binary.LittleEndian.PutUint32(h[4:], 36+size)
	binary.LittleEndian.PutUint32(h[40:], size)
	if _, err := f.Write(h); err != nil {
		t.Fatal(err)
	}
	if err := binary.Write(f, binary.LittleEndian, stereo); err != nil {
		t.Fatal(err)
	}
	return path, time.Duration(n) * time.Second / 8000
}

type transcriptAnswer struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Engine string `json:"engine"`
	Lines  []struct {
		Channel string `json:"channel"`
		StartMS int64  `json:"start_ms"`
		Text    string `json:"text"`
	} `json:"lines"`
}

// TestSiprecCallTranscribed records a SIPREC call whose two parties say
// different sentences (espeak-ng, G.711, then the archive's Opus) for a
// user holding a speech analytics license, and reads a per-channel
// transcript back through the API: with pocketsphinx under -tags
// pocketsphinx, else with the OpenAI-compatible engine against aiemu.
func TestSiprecCallTranscribed(t *testing.T) {
	sc := speechCase(t)
	ctx, dir, webURL, sipAddr := startDemo(t, "36300-36399")
	api := speechAgent(t, ctx, dir, webURL, "2077", "basic", sc.settings)

	wav, length := dialogueWAV(t, spoken(t, sc.agentText, sc.agentPitch), spoken(t, sc.callerText, sc.callerPitch))
	sum, err := siprecload.Run(ctx, siprecload.Config{Target: sipAddr, Calls: 1, Concurrency: 1, Duration: length, CPS: 20, Audio: wav, AgentAOR: "sip:2077@pbx.example"})
	if err != nil || sum.Completed != 1 {
		t.Fatalf("siprec-load: %+v, %v", sum, err)
	}

	get := func(path string, v any) { t.Helper(); api.do("GET", path, nil, 200, v) }
	var tr transcriptAnswer
	var callID string
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		if callID == "" {
			var page struct {
				Items []store.Call `json:"items"`
			}
			get("/api/v1/calls", &page)
			for _, c := range page.Items {
				if c.RecordedUserID != "" && c.State == store.CallCompleted {
					callID = c.ID
				}
			}
			continue
		}
		get("/api/v1/calls/"+callID+"/transcript", &tr)
		if tr.Status == "done" || tr.Status == "failed" {
			break
		}
	}
	if callID == "" || tr.Status != "done" {
		t.Fatalf("call %q transcript: %+v", callID, tr)
	}
	var agent, other []string
	for _, l := range tr.Lines {
		t.Logf("%-5s %6d ms  %s", l.Channel, l.StartMS, l.Text)
		if l.Channel == "agent" {
			agent = append(agent, l.Text)
		} else {
			other = append(other, l.Text)
		}
	}
	for _, ch := range []struct {
		name, heard, said, want string
	}{{"agent", strings.Join(agent, " "), sc.agentText, sc.wantAgent}, {"caller", strings.Join(other, " "), sc.callerText, sc.wantCaller}} {
		if !strings.Contains(ch.heard, ch.want) {
			t.Errorf("%s channel %q, want it to contain %q", ch.name, ch.heard, ch.want)
		}
		if r := recall(ch.said, ch.heard); r < sc.minRecall {
			t.Errorf("%s channel %q holds %.0f%% of %q, want at least %.0f%%", ch.name, ch.heard, 100*r, ch.said, 100*sc.minRecall)
		}
	}
	if len(tr.Lines) > 0 && tr.Lines[0].Channel != "agent" {
		t.Errorf("the agent spoke first, the transcript starts with %s", tr.Lines[0].Channel)
	}
}

// speechAgent opens the demo's database in dir, adds an agent on extension
// ext holding a speech analytics license of speechType, sets the provider's
// speech engine, and returns an API client signed in as the demo's admin.
func speechAgent(t *testing.T, ctx context.Context, dir, webURL, ext, speechType string, settings store.SpeechSettings) *apiClient {
	t.Helper()
	db, err := store.Open(ctx, "sqlite://"+filepath.Join(dir, "callrec.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	q := db.Q()
	tn, err := q.FindTenant(ctx, "Contoso")
	if err != nil {
		t.Fatal(err)
	}
	name, login, role := "Agent "+ext, "agent"+ext+"@contoso.example", "user"
	if _, err := account.New(db, nil).CreateUser(ctx, account.System, tn.ID, account.UserInput{Name: &name, Login: &login, Role: &role,
		Extensions: &[]string{ext}, Licenses: &[]string{"call_recording", "speech_analytics"}, SpeechAnalyticsType: &speechType}); err != nil {
		t.Fatal(err)
	}
	if err := q.SaveSpeechSettings(ctx, settings); err != nil {
		t.Fatal(err)
	}
	admin, err := q.GetUserByLogin(ctx, "admin@contoso.example")
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := auth.NewService(db, auth.Options{}).CreateToken(ctx, admin, "test")
	if err != nil {
		t.Fatal(err)
	}
	return &apiClient{t: t, ctx: ctx, base: webURL, token: token}
}

// speechTest is what the end-to-end test says and expects to hear.
type speechTest struct {
	settings                store.SpeechSettings
	agentText, agentPitch   string
	callerText, callerPitch string
	wantAgent, wantCaller   string
	// minRecall is the share of a sentence's words its channel must hold.
	minRecall float64
}

// recall is the share of said's words that heard holds, each heard word
// counted once.
func recall(said, heard string) float64 {
	left := map[string]int{}
	for _, w := range strings.Fields(heard) {
		left[w]++
	}
	words, found := strings.Fields(said), 0
	for _, w := range words {
		if left[w] > 0 {
			left[w]--
			found++
		}
	}
	if len(words) == 0 {
		return 0
	}
	return float64(found) / float64(len(words))
}

// startDemo runs `callrec demo` on a fresh data directory with RTP
// on ports, and returns where its portal and SIP server listen.
func startDemo(t *testing.T, ports string) (ctx context.Context, dir, webURL, sipAddr string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dir = t.TempDir()
	out, w := io.Pipe()
	env := &Env{Stdout: w, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	ln, err := listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpAddr := ln.Addr().String()
	ln.Close()
	done := make(chan int, 1)
	go func() {
		done <- env.run(ctx, []string{"demo", "--data-dir", dir, "--http-addr", httpAddr, "--sip-addr", "127.0.0.1:0",
			"--rtp-ports", ports})
		w.Close()
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("demo did not stop")
		}
	})
	lines := bufio.NewScanner(out)
	for (webURL == "" || sipAddr == "") && lines.Scan() {
		l := lines.Text()
		if v, ok := strings.CutPrefix(l, "callrec demo is running at "); ok {
			webURL = v
		}
		if v, ok := strings.CutPrefix(l, "  go run ./cmd/callrec siprec-load --target "); ok {
			sipAddr, _, _ = strings.Cut(v, " ")
		}
	}
	if webURL == "" || sipAddr == "" {
		t.Fatalf("demo printed no web URL (%q) or siprec-load target (%q)", webURL, sipAddr)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return ctx, dir, webURL, sipAddr
}

// apiClient calls the portal's API with a bearer token.
type apiClient struct {
	t           *testing.T
	ctx         context.Context
	base, token string
}

func (c *apiClient) do(method, path string, body any, want int, out any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(c.ctx, method, c.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		c.t.Fatalf("%s %s: %d %s, want %d", method, path, res.StatusCode, raw, want)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}
