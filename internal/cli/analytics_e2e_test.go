//go:build !pocketsphinx

package cli

import (
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"callrec/internal/aiemu"
	"callrec/internal/recorder"
	"callrec/internal/siprecload"
	"callrec/internal/store"
)

// TestSiprecCallAnalysed records a SIPREC call of two espeak-ng voices
// (G.711, then the Opus archive) for an advanced speech analytics user
// whose tenant redacts card numbers: the transcript masks the number the
// caller read out, the stored audio is silent where it was said, the
// topic and the sentiment follow, and so do the dashboard's figures.
//
// Recognition is emulated (aiemu answers each party's sentence once, by
// the voice's pitch, spread over its speech); everything after it —
// redaction, the new audio version, topics, sentiment — is the product's.
func TestSiprecCallAnalysed(t *testing.T) {
	const agentSays = "thank you for calling contoso how can i help you"
	const callerSays = "i want to cancel my account the card is four one one one one one one one one one one one one one one one"
	var mu sync.Mutex
	said := map[bool]bool{}
	once := func(pcm []int16, rate int) string {
		high := aiemu.MedianPitch(pcm, rate) >= 110
		mu.Lock()
		defer mu.Unlock()
		if said[high] {
			return "" // later segments of the same voice: heard already
		}
		said[high] = true
		if high {
			return callerSays
		}
		return agentSays
	}
	emu := httptest.NewServer(aiemu.New(aiemu.Config{Transcriber: once}))
	defer emu.Close()

	ctx, dir, webURL, sipAddr := startDemo(t, "36400-36499")
	api := speechAgent(t, ctx, dir, webURL, "2078", "advanced", store.SpeechSettings{Engine: "openai", URL: emu.URL, Model: "whisper-1"})
	api.do("POST", "/api/v1/analytics/topics", map[string]any{"name": "Cancellation", "phrases": []string{"cancel my account"}}, 201, nil)
	api.do("PUT", "/api/v1/analytics/redaction", map[string]any{"enabled": true,
		"patterns": []any{map[string]any{"name": "card number", "min_digits": 13, "max_digits": 19, "luhn": true}}}, 200, nil)

	wav, length := dialogueWAV(t, spoken(t, agentSays, "10"), spoken(t, callerSays, "90"))
	sum, err := siprecload.Run(ctx, siprecload.Config{Target: sipAddr, Calls: 1, Concurrency: 1, Duration: length, CPS: 20, Audio: wav,
		AgentAOR: "sip:2078@pbx.example"})
	if err != nil || sum.Completed != 1 {
		t.Fatalf("siprec-load: %+v, %v", sum, err)
	}

	var tr struct {
		Status string `json:"status"`
		Lines  []struct {
			Channel string `json:"channel"`
			Text    string `json:"text"`
			Words   []struct {
				Text    string `json:"text"`
				StartMS int64  `json:"start_ms"`
				EndMS   int64  `json:"end_ms"`
			} `json:"words"`
		} `json:"lines"`
	}
	var callID string
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline) && tr.Status != "done"; time.Sleep(500 * time.Millisecond) {
		if callID == "" {
			var page struct {
				Items []store.Call `json:"items"`
			}
			api.do("GET", "/api/v1/calls", nil, 200, &page)
			for _, c := range page.Items {
				if c.RecordedUserID != "" && c.State == store.CallCompleted {
					callID = c.ID
				}
			}
			continue
		}
		api.do("GET", "/api/v1/calls/"+callID+"/transcript", nil, 200, &tr)
	}
	if tr.Status != "done" {
		t.Fatalf("call %q transcript: %+v", callID, tr)
	}
	// The caller's line keeps its words but not the number.
	var spanFrom, spanTo int64 = -1, -1
	var callerText string
	for _, l := range tr.Lines {
		if l.Channel != "other" {
			continue
		}
		callerText += l.Text + " "
		for _, w := range l.Words {
			if w.Text == "[redacted]" {
				if spanFrom < 0 {
					spanFrom = w.StartMS
				}
				spanTo = w.EndMS
			}
		}
	}
	if !strings.Contains(callerText, "cancel my account") || !strings.Contains(callerText, "[redacted]") || strings.Contains(callerText, "four one one") {
		t.Fatalf("caller's transcript %q: want the words kept and the card number masked", callerText)
	}

	var an struct {
		Sentiment  struct{ Label string }  `json:"sentiment"`
		Topics     []struct{ Name string } `json:"topics"`
		Redactions int                     `json:"redactions"`
	}
	api.do("GET", "/api/v1/calls/"+callID+"/analytics", nil, 200, &an)
	if len(an.Topics) != 1 || an.Topics[0].Name != "Cancellation" || an.Redactions != 1 || an.Sentiment.Label == "" {
		t.Errorf("analysis %+v: want the Cancellation topic, one redaction and a sentiment", an)
	}
	var in struct {
		Insights struct {
			Analysed int64 `json:"analysed"`
			Topics   []struct {
				Name  string `json:"name"`
				Calls int64  `json:"calls"`
			} `json:"topics"`
		} `json:"insights"`
	}
	api.do("GET", "/api/v1/analytics/insights", nil, 200, &in)
	if in.Insights.Analysed != 1 || len(in.Insights.Topics) != 1 || in.Insights.Topics[0].Calls != 1 {
		t.Errorf("dashboard insights %+v", in.Insights)
	}

	// The stored audio is silent on the caller's channel (right) where the
	// number was said, and speaks just before it.
	pcm := api.audio("/api/v1/calls/" + callID + "/audio")
	quiet := energy(pcm, 1, spanFrom+200, spanTo-200)
	loud := energy(pcm, 1, spanFrom-1500, spanFrom-300)
	t.Logf("redacted span %d–%d ms: energy %.0f inside, %.0f in the 1.2 s before", spanFrom, spanTo, quiet, loud)
	if spanTo-spanFrom < 1000 || loud < 1e4 || quiet > loud/1000 {
		t.Errorf("span %d–%d ms: energy %.0f inside vs %.0f before: want silence where the card number was said", spanFrom, spanTo, quiet, loud)
	}
}

// audio downloads a stored recording and decodes it to interleaved stereo.
func (c *apiClient) audio(path string) []int16 {
	c.t.Helper()
	req, _ := http.NewRequestWithContext(c.ctx, "GET", c.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Type"), "ogg") {
		c.t.Fatalf("GET %s: %d %s, want the stored Ogg archive", path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	f, err := os.CreateTemp(c.t.TempDir(), "*.wav")
	if err != nil {
		c.t.Fatal(err)
	}
	defer f.Close()
	n, err := recorder.DecodeToWAV(res.Body, f)
	if err != nil {
		c.t.Fatal(err)
	}
	raw, err := os.ReadFile(f.Name())
	if err != nil {
		c.t.Fatal(err)
	}
	pcm := make([]int16, 2*n)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(raw[44+2*i:]))
	}
	return pcm
}

// energy is the mean square of one channel of interleaved 8 kHz stereo
// over [fromMS, toMS).
func energy(pcm []int16, ch int, fromMS, toMS int64) float64 {
	from, to := max(fromMS*8, 0), min(toMS*8, int64(len(pcm)/2))
	var sum float64
	for i := from; i < to; i++ {
		v := float64(pcm[2*i+int64(ch)])
		sum += v * v
	}
	return sum / float64(max(to-from, 1))
}
