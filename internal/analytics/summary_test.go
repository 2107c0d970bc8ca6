package analytics

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The server checks the request against OpenAI's documented "Create chat
// completion" shape and answers in it.
func TestSummarizeSpeaksChatCompletions(t *testing.T) {
	var got chatRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer sk-test" ||
			r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, `{"error":{"message":"bad request line"}}`, http.StatusBadRequest)
			return
		}
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			http.Error(w, `{"error":{"message":"bad json"}}`, http.StatusBadRequest)
			return
		}
		_, _ = w.Write([]byte(`{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,
			"message":{"role":"assistant","content":" The customer asked to cancel. "},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}`))
	}))
	defer srv.Close()
	s := &Summarizer{BaseURL: srv.URL + "/", Key: "sk-test", Model: "small-model"}
	sum, err := s.Summarize(context.Background(), []Utterance{
		{Channel: ChannelAgent, Text: "Thank you for calling."}, {Channel: ChannelOther, Text: "I want to cancel."}})
	if err != nil || sum != "The customer asked to cancel." {
		t.Fatalf("Summarize = %q, %v", sum, err)
	}
	if got.Model != "small-model" || len(got.Messages) != 2 || got.Messages[0].Role != "system" || got.Messages[1].Role != "user" ||
		got.Messages[1].Content != "Agent: Thank you for calling.\nCustomer: I want to cancel.\n" || got.MaxTokens <= 0 {
		t.Errorf("request = %+v", got)
	}
}

func TestSummarizeFailures(t *testing.T) {
	for name, c := range map[string]struct {
		status int
		body   string
		want   string
	}{
		"refused key": {401, `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}`, "HTTP 401: Incorrect API key"},
		"not json":    {502, `<html>bad gateway</html>`, "not a chat completion"},
		"no choices":  {200, `{"choices":[]}`, "no text"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(c.status)
				_, _ = w.Write([]byte(c.body))
			}))
			defer srv.Close()
			_, err := (&Summarizer{BaseURL: srv.URL, Key: "sk-secret-key"}).Summarize(context.Background(), []Utterance{{Text: "hello"}})
			if !errors.Is(err, ErrSummary) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "sk-secret-key") {
				t.Errorf("err = %v, want ErrSummary saying %q without the key", err, c.want)
			}
		})
	}
	if _, err := (&Summarizer{BaseURL: "http://127.0.0.1:1"}).Summarize(context.Background(), nil); !errors.Is(err, ErrSummary) {
		t.Errorf("empty transcript: %v", err)
	}
}
