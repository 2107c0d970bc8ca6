package speech

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"time"
)

// OpenAIConfig reaches an OpenAI-compatible transcription server.
type OpenAIConfig struct {
	// URL is the server's base URL; the engine posts to URL + "/v1/audio/transcriptions"
	// (a URL already ending in /v1 is accepted too).
	URL string
	// Key is sent as "Authorization: Bearer KEY" when not empty.
	Key string
	// Model is the request's model field (e.g. "whisper-1").
	Model string
	// Client is the HTTP client; nil means one with a 2-minute timeout.
	Client *http.Client
}

// openAI is the engine for POST /v1/audio/transcriptions with
// response_format=verbose_json and timestamp_granularities[]=word, the
// request shape OpenAI documents and whisper.cpp's server and the
// faster-whisper servers accept (docs/speech.md).
type openAI struct {
	endpoint string
	cfg      OpenAIConfig
	client   *http.Client
}

// maxResponse bounds what is read back from the server.
const maxResponse = 4 << 20

// NewOpenAI checks the configuration and returns the engine.
func NewOpenAI(cfg OpenAIConfig) (Engine, error) {
	base := strings.TrimRight(strings.TrimSpace(cfg.URL), "/")
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return nil, fmt.Errorf("speech: transcription URL must be http:// or https://, not %q", cfg.URL)
	}
	if strings.TrimSpace(cfg.Model) == "" {
		return nil, fmt.Errorf("speech: transcription model is required")
	}
	base = strings.TrimSuffix(base, "/v1")
	client := cfg.Client
	if client == nil {
		client = &http.Client{Timeout: 2 * time.Minute}
	}
	return &openAI{endpoint: base + "/v1/audio/transcriptions", cfg: cfg, client: client}, nil
}

func (o *openAI) Name() string { return "openai:" + o.cfg.Model }

// verboseJSON is the part of the documented verbose_json answer used here.
// Word probability is not in OpenAI's schema; whisper.cpp and the
// faster-whisper servers add it, and it becomes the confidence when present.
type verboseJSON struct {
	Text  string `json:"text"`
	Words []struct {
		Word        string   `json:"word"`
		Start       float64  `json:"start"`
		End         float64  `json:"end"`
		Probability *float64 `json:"probability"`
	} `json:"words"`
}

// apiError is the documented error body {"error":{"message",…}}.
type apiError struct {
	Error struct {
		Message string `json:"message"`
	} `json:"error"`
}

// Transcribe posts the segment as a mono 16-bit WAV file.
func (o *openAI) Transcribe(ctx context.Context, pcm []int16, rate int) ([]Word, error) {
	body, ctype, err := o.form(pcm, rate)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.endpoint, body)
	if err != nil {
		return nil, fmt.Errorf("speech: transcription request: %w", err)
	}
	req.Header.Set("Content-Type", ctype)
	if o.cfg.Key != "" {
		req.Header.Set("Authorization", "Bearer "+o.cfg.Key)
	}
	resp, err := o.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("speech: transcription server: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("speech: transcription answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e apiError
		msg := strings.TrimSpace(string(raw))
		if json.Unmarshal(raw, &e) == nil && e.Error.Message != "" {
			msg = e.Error.Message
		}
		if len(msg) > 300 {
			msg = msg[:300]
		}
		return nil, fmt.Errorf("speech: transcription server answered %d: %s", resp.StatusCode, msg)
	}
	var v verboseJSON
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("speech: transcription answer is not verbose_json: %w", err)
	}
	words := make([]Word, 0, len(v.Words))
	for _, w := range v.Words {
		text := strings.TrimSpace(w.Word)
		if text == "" || w.End < w.Start {
			continue
		}
		word := Word{Text: text, Start: seconds(w.Start), End: seconds(w.End)}
		if w.Probability != nil {
			word.Confidence = *w.Probability
		}
		words = append(words, word)
	}
	return words, nil
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func (o *openAI) form(pcm []int16, rate int) (io.Reader, string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", "segment.wav")
	if err != nil {
		return nil, "", err
	}
	if err := WriteWAV(fw, pcm, rate); err != nil {
		return nil, "", err
	}
	for _, f := range [][2]string{{"model", o.cfg.Model}, {"response_format", "verbose_json"}, {"timestamp_granularities[]", "word"}} {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			return nil, "", err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, "", err
	}
	return &buf, mw.FormDataContentType(), nil
}

// WriteWAV writes mono 16-bit PCM as a RIFF WAVE file.
func WriteWAV(w io.Writer, pcm []int16, rate int) error {
	size := uint32(2 * len(pcm))
	h := make([]byte, 44)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], 36+size)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1) // PCM
	binary.LittleEndian.PutUint16(h[22:], 1) // mono
	binary.LittleEndian.PutUint32(h[24:], uint32(rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(rate*2))
	binary.LittleEndian.PutUint16(h[32:], 2)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], size)
	if _, err := w.Write(h); err != nil {
		return err
	}
	return binary.Write(w, binary.LittleEndian, pcm)
}
