package speech

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"callrec/internal/aiemu"
)

func TestOpenAIAgainstEmulator(t *testing.T) {
	emu := aiemu.New(aiemu.Config{Key: "sk-test", Text: "thank you for calling"})
	srv := httptest.NewServer(emu)
	defer srv.Close()
	pcm := make([]int16, Rate*2)
	for i := Rate / 2; i < Rate*3/2; i++ {
		pcm[i] = int16(4000 * (i%20/10*2 - 1))
	}
	eng, err := NewOpenAI(OpenAIConfig{URL: srv.URL + "/v1/", Key: "sk-test", Model: "whisper-1"})
	if err != nil {
		t.Fatal(err)
	}
	words, err := eng.Transcribe(context.Background(), pcm, Rate)
	if err != nil {
		t.Fatal(err)
	}
	if len(words) != 4 || words[0].Text != "thank" || words[3].Text != "calling" {
		t.Fatalf("words = %+v", words)
	}
	// The emulator lays the words over the loud second (0.5–1.5 s).
	if words[0].Start.Seconds() < 0.45 || words[3].End.Seconds() > 1.55 || words[1].Start <= words[0].Start {
		t.Errorf("times = %v…%v", words[0].Start, words[3].End)
	}

	for name, cfg := range map[string]OpenAIConfig{
		"wrong key":     {URL: srv.URL, Key: "sk-wrong", Model: "whisper-1"},
		"unknown model": {URL: srv.URL, Key: "sk-test", Model: "whisper-9"},
		"wrong path":    {URL: srv.URL + "/api", Key: "sk-test", Model: "whisper-1"},
	} {
		eng, err := NewOpenAI(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := eng.Transcribe(context.Background(), pcm, Rate); err == nil {
			t.Errorf("%s: transcribed anyway", name)
		} else if strings.Contains(err.Error(), "sk-") {
			t.Errorf("%s: error shows the key: %v", name, err)
		}
	}
	if emu.Requests() != 1 {
		t.Errorf("emulator answered %d transcriptions, want 1", emu.Requests())
	}
	for _, bad := range []OpenAIConfig{{URL: "ftp://x", Model: "m"}, {URL: "http://x"}} {
		if _, err := NewOpenAI(bad); err == nil {
			t.Errorf("config %+v accepted", bad)
		}
	}
}

// TestEmulatorRefusesUndocumentedShapes posts what the documented API
// refuses: word timestamps without verbose_json, no file, a non-WAV file.
func TestEmulatorRefusesUndocumentedShapes(t *testing.T) {
	srv := httptest.NewServer(aiemu.New(aiemu.Config{Text: "hello"}))
	defer srv.Close()
	var wav bytes.Buffer
	if err := WriteWAV(&wav, make([]int16, 800), Rate); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		fields [][2]string
		file   []byte
		status int
	}{
		{"word granularity needs verbose_json", [][2]string{{"model", "whisper-1"}, {"response_format", "json"}, {"timestamp_granularities[]", "word"}}, wav.Bytes(), 400},
		{"no model", [][2]string{{"response_format", "verbose_json"}}, wav.Bytes(), 400},
		{"no file", [][2]string{{"model", "whisper-1"}}, nil, 400},
		{"not wav", [][2]string{{"model", "whisper-1"}}, []byte("OggS not a wav"), 400},
		{"bad format", [][2]string{{"model", "whisper-1"}, {"response_format", "xml"}}, wav.Bytes(), 400},
		{"documented", [][2]string{{"model", "whisper-1"}, {"response_format", "verbose_json"}, {"timestamp_granularities[]", "word"}}, wav.Bytes(), 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			for _, f := range tt.fields {
				_ = mw.WriteField(f[0], f[1])
			}
			if tt.file != nil {
				fw, _ := mw.CreateFormFile("file", "a.wav")
				_, _ = fw.Write(tt.file)
			}
			_ = mw.Close()
			resp, err := http.Post(srv.URL+"/v1/audio/transcriptions", mw.FormDataContentType(), &body)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, b)
			}
			if tt.status != 200 && !strings.Contains(string(b), `"error"`) {
				t.Errorf("error body %s", b)
			}
		})
	}
}

// PitchSplitHz separates espeak-ng -p 10 from -p 90.
const PitchSplitHz = 110

func TestEmulatorTellsVoicesByPitch(t *testing.T) {
	low := telephoneSpeech(t, "the parcel will arrive on monday", "en-us", "10")
	high := telephoneSpeech(t, "the parcel will arrive on monday", "en-us", "90")
	lp, hp := aiemu.MedianPitch(low, Rate), aiemu.MedianPitch(high, Rate)
	t.Logf("pitch: -p 10 → %.0f Hz, -p 90 → %.0f Hz", lp, hp)
	pick := aiemu.ByPitch(PitchSplitHz, "low", "high")
	if pick(low, Rate) != "low" || pick(high, Rate) != "high" {
		t.Fatalf("pitches %.0f and %.0f Hz not told apart at %v Hz", lp, hp, PitchSplitHz)
	}
}
