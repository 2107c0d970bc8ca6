package analytics

import (
	"github.com/jonreiter/govader"
)

// Sentiment labels, by VADER's documented thresholds on the compound
// score: ≥ 0.05 positive, ≤ −0.05 negative, neutral between.
const (
	Positive = "positive"
	Neutral  = "neutral"
	Negative = "negative"
)

// Sentiment scores text with VADER (Hutto & Gilbert, ICWSM 2014): a
// lexicon of ~7,500 rated words and rules for negation, intensifiers,
// "but" and punctuation, made for short informal text. It needs no
// training and runs in microseconds, which suits every call of a tenant;
// on recogniser output with many wrong words it is a rough signal, and
// the README says so.
type Sentiment struct {
	vader *govader.SentimentIntensityAnalyzer
}

// NewSentiment loads the lexicon (once per process).
func NewSentiment() *Sentiment {
	return &Sentiment{vader: govader.NewSentimentIntensityAnalyzer()}
}

// Score is a compound score from −1 (most negative) to 1 and its label.
type Score struct {
	Compound float64 `json:"compound"`
	Label    string  `json:"label"`
}

// CallSentiment is a call's sentiment: each utterance's, each side's and
// the whole call's (utterances weighted by their number of words, so a
// long complaint outweighs a short "thanks").
type CallSentiment struct {
	Utterances []Score `json:"utterances"`
	Agent      Score   `json:"agent"`
	Other      Score   `json:"other"`
	Call       Score   `json:"call"`
}

// Text scores one piece of text.
func (s *Sentiment) Text(text string) Score {
	return scored(s.vader.PolarityScores(text).Compound)
}

// Call scores a transcript.
func (s *Sentiment) Call(us []Utterance) CallSentiment {
	out := CallSentiment{Utterances: make([]Score, len(us))}
	var sum, n = map[string]float64{}, map[string]float64{}
	for i, u := range us {
		sc := s.Text(u.Text)
		out.Utterances[i] = sc
		w := float64(len(tokens(u)))
		sum[u.Channel] += sc.Compound * w
		n[u.Channel] += w
		sum[""] += sc.Compound * w
		n[""] += w
	}
	avg := func(ch string) Score {
		if n[ch] == 0 {
			return scored(0)
		}
		return scored(sum[ch] / n[ch])
	}
	out.Agent, out.Other, out.Call = avg(ChannelAgent), avg(ChannelOther), avg("")
	return out
}

func scored(c float64) Score { return Score{c, Label(c)} }

// Label names a compound score by VADER's thresholds.
func Label(c float64) string {
	switch {
	case c >= 0.05:
		return Positive
	case c <= -0.05:
		return Negative
	}
	return Neutral
}
