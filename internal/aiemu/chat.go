package aiemu

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Chat completions, as OpenAI documents "Create chat completion"
// (POST /v1/chat/completions): a JSON body with model and messages
// (role, content), answered with choices[].message. The emulator writes
// no prose: its "summary" is the first line each party said, marked as
// the emulator's, so a test can tell it came through.

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatRequest struct {
	Model    string        `json:"model"`
	Messages []chatMessage `json:"messages"`
}

// chatModels are the models the chat endpoint accepts.
var chatModels = []string{"gpt-4o-mini", "summary-emu"}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Key != "" && r.Header.Get("Authorization") != "Bearer "+s.cfg.Key {
		fail(w, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key", "Incorrect API key provided.")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		fail(w, http.StatusBadRequest, "invalid_request_error", "invalid_request", "The body must be application/json.")
		return
	}
	var req chatRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	if err := dec.Decode(&req); err != nil {
		fail(w, http.StatusBadRequest, "invalid_request_error", "invalid_json", "We could not parse the JSON body of your request.")
		return
	}
	if !slices.Contains(chatModels, req.Model) {
		fail(w, http.StatusNotFound, "invalid_request_error", "model_not_found", fmt.Sprintf("The model `%s` does not exist.", req.Model))
		return
	}
	if len(req.Messages) == 0 {
		fail(w, http.StatusBadRequest, "invalid_request_error", "invalid_value", "messages must contain at least one message")
		return
	}
	var firsts []string
	seen := map[string]bool{}
	for _, m := range req.Messages {
		if m.Role != "system" && m.Role != "user" && m.Role != "assistant" && m.Role != "developer" {
			fail(w, http.StatusBadRequest, "invalid_request_error", "invalid_value", "unknown role "+m.Role)
			return
		}
		if m.Role != "user" {
			continue
		}
		for _, line := range strings.Split(m.Content, "\n") {
			who, said, ok := strings.Cut(line, ": ")
			if ok && !seen[who] {
				seen[who] = true
				firsts = append(firsts, fmt.Sprintf("%s opened with %q.", who, said))
			}
		}
	}
	content := "[emulated summary] " + strings.Join(firsts, " ")
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-emu", "object": "chat.completion", "created": 0, "model": req.Model,
		"choices": []map[string]any{{"index": 0, "message": chatMessage{Role: "assistant", Content: content}, "finish_reason": "stop"}},
		"usage":   map[string]int{"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
	})
}
