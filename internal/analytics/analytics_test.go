package analytics

import (
	"errors"
	"strings"
	"testing"
)

func utter(ch, text string, startMS int64) Utterance {
	var ws []Word
	for i, f := range strings.Fields(text) {
		ws = append(ws, Word{Text: f, StartMS: startMS + int64(i)*400, EndMS: startMS + int64(i)*400 + 350})
	}
	return Utterance{Channel: ch, StartMS: startMS, EndMS: startMS + int64(len(ws))*400, Text: text, Words: ws}
}

func TestTopics(t *testing.T) {
	m, err := NewMatcher([]Topic{
		{ID: "cancel", Name: "Cancellation", Phrases: []string{"cancel my account", "close NEAR/3 account"}},
		{ID: "happy", Name: "Satisfaction", Phrases: []string{"happy", "great service"}, Exclude: []string{"not happy"}, Channel: ChannelOther},
		{ID: "greet", Name: "Greeting", Phrases: []string{"thank you for calling"}, Channel: ChannelAgent},
	})
	if err != nil {
		t.Fatal(err)
	}
	us := []Utterance{
		utter(ChannelAgent, "Thank you for calling Contoso, how can I help?", 0),
		utter(ChannelOther, "I want to cancel my account today.", 3000),
		utter(ChannelOther, "I'm not happy, please close the old savings account", 6000),
		utter(ChannelOther, "Close it. Account number is long.", 9000),
		utter(ChannelAgent, "I am happy to help", 12000),
		utter(ChannelOther, "Great service, I'm happy now", 15000),
		utter(ChannelOther, "thank you for calling me back", 18000),
	}
	got := map[string][]int{}
	for _, h := range m.Match(us) {
		got[h.TopicID] = append(got[h.TopicID], h.Utterance)
	}
	want := map[string][]int{
		"greet": {0}, // not 6: the other party said it
		// 2: "close" and "account" with three words between; 3: one.
		"cancel": {1, 2, 3},
		"happy":  {5}, // not 2 (excluded: "not happy"), not 4 (the agent's)
	}
	for id, w := range want {
		if g := got[id]; len(g) != len(w) || (len(g) > 0 && !equal(g, w)) {
			t.Errorf("topic %s found in utterances %v, want %v", id, g, w)
		}
	}
	hits := m.Match(us[1:2])
	if len(hits) != 1 || hits[0].StartMS != 3000+3*400 || hits[0].Phrase != "cancel my account" {
		t.Errorf("hit = %+v, want the phrase at its first word's time", hits)
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestNearCountsWordsBetweenEitherOrder(t *testing.T) {
	m, err := NewMatcher([]Topic{{ID: "r", Name: "Refund", Phrases: []string{"refund NEAR/2 card"}}})
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]bool{
		"refund to my card":          true,  // two between
		"card refund":                true,  // reversed, none between
		"refund it to the same card": false, // four between
		"refund only":                false,
	} {
		if got := len(m.Match([]Utterance{utter(ChannelOther, text, 0)})) == 1; got != want {
			t.Errorf("%q matched = %v, want %v", text, got, want)
		}
	}
}

func TestTopicRefusals(t *testing.T) {
	for _, tp := range []Topic{
		{Name: "", Phrases: []string{"a"}},
		{Name: "x"},
		{Name: "x", Phrases: []string{"  ,. "}},
		{Name: "x", Phrases: []string{"a NEAR/x b"}},
		{Name: "x", Phrases: []string{"a NEAR/99 b"}},
		{Name: "x", Phrases: []string{"NEAR/2 b"}},
		{Name: "x", Phrases: []string{"one two three four five six seven eight nine ten eleven"}},
		{Name: "x", Phrases: []string{"a"}, Channel: "both"},
		{Name: "x", Phrases: make([]string, MaxTopicPhrases+1)},
	} {
		if err := CheckTopic(tp); !errors.Is(err, ErrInvalidTopic) {
			t.Errorf("CheckTopic(%+v) = %v, want ErrInvalidTopic", tp, err)
		}
	}
}

func TestSentiment(t *testing.T) {
	s := NewSentiment()
	cs := s.Call([]Utterance{
		utter(ChannelAgent, "Thank you for calling, I am glad to help", 0),
		utter(ChannelOther, "This is terrible. The service has been awful and I am very angry", 3000),
		utter(ChannelOther, "I am calling about the bill from March", 9000),
	})
	if cs.Agent.Label != Positive || cs.Other.Label != Negative {
		t.Errorf("agent %+v, other %+v: want positive and negative", cs.Agent, cs.Other)
	}
	if cs.Utterances[2].Label != Neutral {
		t.Errorf("a plain statement scored %+v, want neutral", cs.Utterances[2])
	}
	// The long complaint outweighs the shorter thanks.
	if cs.Call.Compound >= 0 {
		t.Errorf("call %+v, want negative overall", cs.Call)
	}
	if got := s.Call(nil); got.Call.Label != Neutral {
		t.Errorf("an empty transcript scored %+v", got.Call)
	}
}

func TestRedactCardNumberSpokenAsWords(t *testing.T) {
	// 4111 1111 1111 1111 passes Luhn; said digit by digit, then an
	// expiry and a security code.
	card := "four one one one one one one one one one one one one one one one"
	us := []Utterance{
		utter(ChannelOther, "my card is "+card+" and it expires twelve", 0),
		utter(ChannelOther, "the security code is seven three seven", 20000),
		utter(ChannelOther, "my order is 4111 1111 1111 1112", 30000), // fails Luhn
		utter(ChannelAgent, "call me on five five five one two three four", 40000),
	}
	red, spans := Redact(us, DefaultPatterns)
	if len(spans) != 2 {
		t.Fatalf("spans = %+v, want the card number and the security code", spans)
	}
	c := spans[0]
	if c.Pattern != "card number" || c.Utterance != 0 || c.StartMS != 3*400 || c.EndMS != 18*400+350 {
		t.Errorf("card span = %+v, want words 3..18", c)
	}
	if red[0].Text != "my card is "+Mask+" and it expires twelve" {
		t.Errorf("masked text = %q", red[0].Text)
	}
	if spans[1].Pattern != "security code" || red[1].Text != "the security code is "+Mask {
		t.Errorf("security code: %+v, %q", spans[1], red[1].Text)
	}
	if red[2].Text != us[2].Text || red[3].Text != us[3].Text {
		t.Errorf("changed text without a sensitive number: %q, %q", red[2].Text, red[3].Text)
	}
	for _, w := range red[0].Words[3:19] {
		if w.Text != Mask {
			t.Fatalf("word %+v not masked", w)
		}
	}
}

func TestRedactDigitsAndPatternChecks(t *testing.T) {
	us := []Utterance{utter(ChannelOther, "it's 5500 0000 0000 0004 thanks", 0)}
	red, spans := Redact(us, DefaultPatterns)
	if len(spans) != 1 || red[0].Text != "it "+Mask+" thanks" {
		t.Errorf("got %q %+v", red[0].Text, spans)
	}
	for _, p := range []Pattern{{Name: "", MinDigits: 3, MaxDigits: 4}, {Name: "x", MinDigits: 2, MaxDigits: 4},
		{Name: "x", MinDigits: 9, MaxDigits: 4}, {Name: "x", MinDigits: 3, MaxDigits: 40}} {
		if err := CheckPattern(p); !errors.Is(err, ErrInvalidPattern) {
			t.Errorf("CheckPattern(%+v) = %v", p, err)
		}
	}
	for _, p := range DefaultPatterns {
		if err := CheckPattern(p); err != nil {
			t.Errorf("default %+v: %v", p, err)
		}
	}
}
