// Package analytics reads transcripts: topics (admin-defined phrase lists),
// sentiment per utterance and per call, and the sensitive number patterns
// that redaction masks in the text and silences in the audio. It works on
// words with times, whatever engine produced them.
package analytics

import (
	"strings"
	"unicode"
)

// Channel names the two sides of a recorded call.
const (
	ChannelAgent = "agent" // the recorded user
	ChannelOther = "other" // the other party
)

// Word is one recognised word with its place in the recording.
type Word struct {
	Text    string `json:"text"`
	StartMS int64  `json:"start_ms"`
	EndMS   int64  `json:"end_ms"`
}

// Utterance is one stretch of speech on one channel.
type Utterance struct {
	Channel string `json:"channel"`
	StartMS int64  `json:"start_ms"`
	EndMS   int64  `json:"end_ms"`
	Text    string `json:"text"`
	Words   []Word `json:"words,omitempty"`
}

// tokens are an utterance's words normalised for matching: lower case,
// punctuation dropped, and where the engine gave no word times, the text
// split on spaces with the utterance's times.
func tokens(u Utterance) []Word {
	src := u.Words
	if len(src) == 0 {
		for _, f := range strings.Fields(u.Text) {
			src = append(src, Word{Text: f, StartMS: u.StartMS, EndMS: u.EndMS})
		}
	}
	out := make([]Word, 0, len(src))
	for _, w := range src {
		// "credit-card" and "card's" match "credit card" and "card".
		for _, part := range strings.FieldsFunc(strings.ToLower(w.Text), func(r rune) bool {
			return r == '-' || r == '/' || unicode.IsSpace(r)
		}) {
			part, _, _ = strings.Cut(part, "'")
			part = strings.TrimFunc(part, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
			if part != "" {
				out = append(out, Word{Text: part, StartMS: w.StartMS, EndMS: w.EndMS})
			}
		}
	}
	return out
}

// normalise turns a phrase as an admin typed it into its words.
func normalise(phrase string) []string {
	ws := tokens(Utterance{Text: phrase})
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Text
	}
	return out
}
