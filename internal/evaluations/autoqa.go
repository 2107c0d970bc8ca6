package evaluations

import (
	"strings"
	"unicode"
)

// Transcript channels: the recorded agent and everyone else.
const (
	ChannelAgent = "agent"
	ChannelOther = "other"
)

// Utterance is one stretch of speech of a transcript.
type Utterance struct {
	Channel string `json:"channel"`
	StartMS int64  `json:"start_ms"`
	EndMS   int64  `json:"end_ms"`
	Text    string `json:"text"`
}

// Transcript is a call's speech as text, utterances in the order spoken.
// It is the interface point for a speech engine: callrec does not
// transcribe here, a transcription job fills TranscriptSource.
type Transcript struct {
	Utterances []Utterance `json:"utterances"`
}

// AutoResult is what AutoAnswer found.
type AutoResult struct {
	Said bool  // the agent said the phrase
	AtMS int64 // where: the start of the utterance the phrase begins in
}

// AutoAnswer looks for the rule's phrase in what the agent said: its
// words, in order and adjacent, ignoring case and punctuation, across
// the agent's utterances (a recogniser may cut a sentence in two).
func AutoAnswer(rule string, t Transcript) AutoResult {
	want := words(rule)
	if len(want) == 0 {
		return AutoResult{}
	}
	type word struct {
		text string
		at   int64
	}
	var said []word
	for _, u := range t.Utterances {
		if u.Channel != ChannelAgent {
			continue
		}
		for _, w := range words(u.Text) {
			said = append(said, word{w, u.StartMS})
		}
	}
	for i := 0; i+len(want) <= len(said); i++ {
		match := true
		for j, w := range want {
			if said[i+j].text != w {
				match = false
				break
			}
		}
		if match {
			return AutoResult{Said: true, AtMS: said[i].at}
		}
	}
	return AutoResult{}
}

// words splits text into lower-case words of letters and digits; an
// apostrophe inside a word is dropped ("I'm" is "im"), any other
// punctuation separates.
func words(text string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	for _, r := range text {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		case r == '\'' || r == '’':
		default:
			flush()
		}
	}
	flush()
	return out
}

// autoFill answers the yes/no questions with a rule that answers leaves
// out, from the transcript; each is marked automatic and pinned to where
// the phrase was said.
func autoFill(d Definition, answers []Answer, t Transcript) []Answer {
	given := map[string]bool{}
	for _, a := range answers {
		given[a.QuestionID] = true
	}
	for _, q := range d.Questions() {
		if q.Rule == "" || given[q.ID] {
			continue
		}
		r := AutoAnswer(q.Rule, t)
		v := 0
		a := Answer{QuestionID: q.ID, Value: &v, Automatic: true}
		if r.Said {
			v = 1
			at := r.AtMS
			a.AtMS = &at
		}
		answers = append(answers, a)
	}
	return answers
}
