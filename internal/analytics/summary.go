package analytics

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Summarizer writes a call summary through an OpenAI-compatible chat
// completions endpoint (POST {base}/v1/chat/completions, as OpenAI
// documents it and as llama.cpp's server, vLLM and Ollama serve it). The
// provider configures it; without one the feature is hidden, never faked.
type Summarizer struct {
	BaseURL string // e.g. https://api.openai.com or http://127.0.0.1:8080
	Key     string // bearer key; never logged
	Model   string
	Client  *http.Client
}

// ErrSummary is wrapped by every failed summary.
var ErrSummary = errors.New("analytics: summary")

// summaryPrompt asks for what a supervisor reads before listening.
const summaryPrompt = "You summarise recorded business phone calls for a supervisor. " +
	"In at most five short sentences say why the customer called, what the agent did and how the call ended. " +
	"Lines are prefixed Agent: or Customer:. Transcripts come from speech recognition and contain errors; do not invent details."

// maxTranscriptChars bounds what is sent (about 8,000 tokens).
const maxTranscriptChars = 32_000

type chatRequest struct {
	Model       string        `json:"model"`
	Messages    []chatMessage `json:"messages"`
	Temperature float64       `json:"temperature"`
	MaxTokens   int           `json:"max_tokens"`
}

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatResponse struct {
	Choices []struct {
		Message      chatMessage `json:"message"`
		FinishReason string      `json:"finish_reason"`
	} `json:"choices"`
	Error *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// Dialogue renders a transcript as the lines the model reads.
func Dialogue(us []Utterance) string {
	var b strings.Builder
	for _, u := range us {
		who := "Customer"
		if u.Channel == ChannelAgent {
			who = "Agent"
		}
		line := who + ": " + strings.TrimSpace(u.Text) + "\n"
		if b.Len()+len(line) > maxTranscriptChars {
			break
		}
		b.WriteString(line)
	}
	return b.String()
}

// Summarize returns the model's summary of the transcript.
func (s *Summarizer) Summarize(ctx context.Context, us []Utterance) (string, error) {
	text := Dialogue(us)
	if strings.TrimSpace(text) == "" {
		return "", fmt.Errorf("%w: the transcript is empty", ErrSummary)
	}
	body, _ := json.Marshal(chatRequest{Model: s.Model, Temperature: 0.2, MaxTokens: 300, Messages: []chatMessage{
		{Role: "system", Content: summaryPrompt}, {Role: "user", Content: text}}})
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(s.BaseURL, "/")+"/v1/chat/completions", bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrSummary, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if s.Key != "" {
		req.Header.Set("Authorization", "Bearer "+s.Key)
	}
	client := s.Client
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrSummary, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrSummary, err)
	}
	var out chatResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", fmt.Errorf("%w: HTTP %d with a body that is not a chat completion", ErrSummary, res.StatusCode)
	}
	if res.StatusCode != http.StatusOK {
		msg := http.StatusText(res.StatusCode)
		if out.Error != nil && out.Error.Message != "" {
			msg = out.Error.Message
		}
		return "", fmt.Errorf("%w: HTTP %d: %s", ErrSummary, res.StatusCode, msg)
	}
	if len(out.Choices) == 0 || strings.TrimSpace(out.Choices[0].Message.Content) == "" {
		return "", fmt.Errorf("%w: the endpoint returned no text", ErrSummary)
	}
	return strings.TrimSpace(out.Choices[0].Message.Content), nil
}
