// Package aiemu emulates an OpenAI-compatible speech-to-text server —
// POST /v1/audio/transcriptions as OpenAI documents it and whisper.cpp's
// server and the faster-whisper servers serve it — for tests and demos.
// Like msemu it shares no code with the product: it has its own wire types
// and WAV reader, so a misreading of the API cannot hide by being made
// twice. It cannot recognise speech: the words it answers come from a
// Transcriber chosen by whoever runs it (fixed text, or a text picked by
// the audio's pitch), spread over the audio's loud stretch (docs/speech.md).
package aiemu

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// MaxFile is OpenAI's documented upload limit (25 MB).
const MaxFile = 25 << 20

// Transcriber gives the text "heard" in mono samples at rate.
type Transcriber func(pcm []int16, rate int) string

// Config sets up the emulator.
type Config struct {
	// Key is the only bearer key accepted; empty accepts any request
	// (a local whisper.cpp server without --api-key).
	Key string
	// Models are the accepted model names; empty means {"whisper-1"}.
	Models []string
	// Transcriber gives each file's text; nil answers Text.
	Transcriber Transcriber
	// Text is the fixed transcript when Transcriber is nil.
	Text string
}

// Server is the emulator; it is an http.Handler.
type Server struct {
	cfg Config
	mux *http.ServeMux

	mu       sync.Mutex
	requests int
}

// New returns the emulator.
func New(cfg Config) *Server {
	if len(cfg.Models) == 0 {
		cfg.Models = []string{"whisper-1"}
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux()}
	s.mux.HandleFunc("POST /v1/audio/transcriptions", s.transcriptions)
	s.mux.HandleFunc("POST /v1/chat/completions", s.chat)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fail(w, http.StatusNotFound, "invalid_request_error", "unknown_url", "Unknown request URL: "+r.Method+" "+r.URL.Path)
	})
	return s
}

// ServeHTTP serves the emulated API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Requests counts the transcriptions answered with 200.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

type errorBody struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    string  `json:"code"`
	} `json:"error"`
}

func fail(w http.ResponseWriter, status int, typ, code, msg string) {
	var e errorBody
	e.Error.Message, e.Error.Type, e.Error.Code = msg, typ, code
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(e)
}

type word struct {
	Word  string  `json:"word"`
	Start float64 `json:"start"`
	End   float64 `json:"end"`
}

type segment struct {
	ID    int     `json:"id"`
	Start float64 `json:"start"`
	End   float64 `json:"end"`
	Text  string  `json:"text"`
}

type verbose struct {
	Task     string    `json:"task"`
	Language string    `json:"language"`
	Duration float64   `json:"duration"`
	Text     string    `json:"text"`
	Words    []word    `json:"words,omitempty"`
	Segments []segment `json:"segments,omitempty"`
}

func (s *Server) transcriptions(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Key != "" && r.Header.Get("Authorization") != "Bearer "+s.cfg.Key {
		fail(w, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key", "Incorrect API key provided.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxFile+1<<20)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		fail(w, http.StatusBadRequest, "invalid_request_error", "invalid_request", "The request must be multipart/form-data: "+err.Error())
		return
	}
	model := r.FormValue("model")
	if model == "" {
		fail(w, http.StatusBadRequest, "invalid_request_error", "missing_model", "you must provide a model parameter")
		return
	}
	if !slices.Contains(s.cfg.Models, model) {
		fail(w, http.StatusBadRequest, "invalid_request_error", "model_not_found", fmt.Sprintf("The model `%s` does not exist.", model))
		return
	}
	format := r.FormValue("response_format")
	if format == "" {
		format = "json"
	}
	if !slices.Contains([]string{"json", "text", "srt", "verbose_json", "vtt"}, format) {
		fail(w, http.StatusBadRequest, "invalid_request_error", "invalid_value", "response_format must be one of json, text, srt, verbose_json, vtt")
		return
	}
	grans := r.MultipartForm.Value["timestamp_granularities[]"]
	for _, g := range grans {
		if g != "word" && g != "segment" {
			fail(w, http.StatusBadRequest, "invalid_request_error", "invalid_value", "timestamp_granularities[] takes word or segment")
			return
		}
	}
	if len(grans) > 0 && format != "verbose_json" {
		fail(w, http.StatusBadRequest, "invalid_request_error", "invalid_value", "timestamp_granularities requires response_format=verbose_json")
		return
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		fail(w, http.StatusBadRequest, "invalid_request_error", "missing_file", "you must provide a file parameter")
		return
	}
	defer f.Close()
	if hdr.Size > MaxFile {
		fail(w, http.StatusRequestEntityTooLarge, "invalid_request_error", "file_too_large", "Maximum content size limit (26214400) exceeded.")
		return
	}
	pcm, rate, err := readWAV(f)
	if err != nil {
		fail(w, http.StatusBadRequest, "invalid_request_error", "invalid_file_format", "Invalid file format: this emulator reads 16-bit PCM mono WAV only ("+err.Error()+")")
		return
	}
	s.answer(w, format, grans, pcm, rate)
}

func (s *Server) answer(w http.ResponseWriter, format string, grans []string, pcm []int16, rate int) {
	text := s.cfg.Text
	if s.cfg.Transcriber != nil {
		text = s.cfg.Transcriber(pcm, rate)
	}
	duration := float64(len(pcm)) / float64(rate)
	words := spread(strings.Fields(text), pcm, rate)
	s.mu.Lock()
	s.requests++
	s.mu.Unlock()
	switch format {
	case "text", "srt", "vtt":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, text+"\n")
		return
	case "json":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"text": text})
		return
	}
	v := verbose{Task: "transcribe", Language: "english", Duration: duration, Text: text}
	if slices.Contains(grans, "word") {
		v.Words = words
	}
	if (len(grans) == 0 || slices.Contains(grans, "segment")) && len(words) > 0 {
		v.Segments = []segment{{Start: words[0].Start, End: words[len(words)-1].End, Text: " " + text}}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// spread lays the words over the loud stretch of the audio, each taking
// time in proportion to its length.
func spread(words []string, pcm []int16, rate int) []word {
	if len(words) == 0 {
		return nil
	}
	first, last := loudSpan(pcm)
	start, span := float64(first)/float64(rate), float64(last-first)/float64(rate)
	total := 0
	for _, w := range words {
		total += len(w) + 1
	}
	out := make([]word, len(words))
	at := start
	for i, w := range words {
		d := span * float64(len(w)+1) / float64(total)
		out[i] = word{Word: w, Start: round2(at), End: round2(at + d*0.9)}
		at += d
	}
	return out
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

func loudSpan(pcm []int16) (int, int) {
	const loud = 500
	first, last := 0, len(pcm)
	for i, s := range pcm {
		if s > loud || s < -loud {
			first = i
			break
		}
	}
	for i := len(pcm) - 1; i > first; i-- {
		if s := pcm[i]; s > loud || s < -loud {
			last = i + 1
			break
		}
	}
	return first, last
}

// readWAV reads a 16-bit PCM mono RIFF WAVE file.
func readWAV(r io.Reader) ([]int16, int, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxFile+1))
	if err != nil {
		return nil, 0, err
	}
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, errors.New("not a RIFF WAVE file")
	}
	var rate int
	var fmtSeen bool
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:]))
		body := b[p+8 : min(len(b), p+8+size)]
		switch id {
		case "fmt ":
			if len(body) < 16 {
				return nil, 0, errors.New("short fmt chunk")
			}
			if binary.LittleEndian.Uint16(body[0:]) != 1 || binary.LittleEndian.Uint16(body[2:]) != 1 || binary.LittleEndian.Uint16(body[14:]) != 16 {
				return nil, 0, errors.New("not 16-bit PCM mono")
			}
			rate, fmtSeen = int(binary.LittleEndian.Uint32(body[4:])), true
		case "data":
			if !fmtSeen || rate <= 0 {
				return nil, 0, errors.New("data before fmt")
			}
			pcm := make([]int16, len(body)/2)
			for i := range pcm {
				pcm[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			return pcm, rate, nil
		}
		p += 8 + size + size%2
	}
	return nil, 0, errors.New("no data chunk")
}
