package analytics

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Limits on what an admin may define, so that matching stays cheap on
// every call of a tenant.
const (
	MaxTopicPhrases = 100
	MaxPhraseWords  = 10
	MaxNear         = 20
)

// Topic is an admin-defined subject found in calls by its phrases.
//
// A phrase is words said in sequence ("cancel my account"), or two such
// sequences said near each other in one utterance, "refund NEAR/5 card"
// (at most 5 words between them, either order). An utterance that also
// holds one of the Exclude phrases does not count ("not happy" keeps
// "happy" from matching a Satisfaction topic). Channel limits the search
// to the agent's or the other party's side ("" or "any": both).
type Topic struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Phrases []string `json:"phrases"`
	Exclude []string `json:"exclude,omitempty"`
	Channel string   `json:"channel,omitempty"`
}

// Hit is one place a topic was said.
type Hit struct {
	TopicID   string `json:"topic_id"`
	Channel   string `json:"channel"`
	Utterance int    `json:"utterance"`
	StartMS   int64  `json:"start_ms"`
	Phrase    string `json:"phrase"`
}

// phrase is a compiled phrase: a word sequence, or two with a distance.
type phrase struct {
	text        string
	left, right []string // right is nil for a plain sequence
	near        int
}

// Matcher finds topics in transcripts.
type Matcher struct {
	topics []compiled
}

type compiled struct {
	Topic
	phrases, exclude []phrase
}

// ErrInvalidTopic is wrapped by every refusal of a topic definition.
var ErrInvalidTopic = errors.New("analytics: invalid topic")

// NewMatcher compiles the topics, refusing any the matcher could not
// apply as written.
func NewMatcher(topics []Topic) (*Matcher, error) {
	m := &Matcher{}
	for _, t := range topics {
		c, err := compile(t)
		if err != nil {
			return nil, err
		}
		m.topics = append(m.topics, c)
	}
	return m, nil
}

// CheckTopic reports what is wrong with a topic definition, if anything.
func CheckTopic(t Topic) error {
	_, err := compile(t)
	return err
}

func compile(t Topic) (compiled, error) {
	c := compiled{Topic: t}
	if strings.TrimSpace(t.Name) == "" {
		return c, fmt.Errorf("%w: a topic needs a name", ErrInvalidTopic)
	}
	switch t.Channel {
	case "", "any", ChannelAgent, ChannelOther:
	default:
		return c, fmt.Errorf("%w: channel %q is not any, agent or other", ErrInvalidTopic, t.Channel)
	}
	if len(t.Phrases) == 0 {
		return c, fmt.Errorf("%w: topic %q has no phrases", ErrInvalidTopic, t.Name)
	}
	if len(t.Phrases)+len(t.Exclude) > MaxTopicPhrases {
		return c, fmt.Errorf("%w: topic %q has more than %d phrases", ErrInvalidTopic, t.Name, MaxTopicPhrases)
	}
	for _, list := range []struct {
		in  []string
		out *[]phrase
	}{{t.Phrases, &c.phrases}, {t.Exclude, &c.exclude}} {
		for _, raw := range list.in {
			p, err := parsePhrase(raw)
			if err != nil {
				return c, fmt.Errorf("%w: topic %q: %v", ErrInvalidTopic, t.Name, err)
			}
			*list.out = append(*list.out, p)
		}
	}
	return c, nil
}

func parsePhrase(raw string) (phrase, error) {
	p := phrase{text: strings.TrimSpace(raw)}
	fields := strings.Fields(raw)
	for i, f := range fields {
		n, ok := strings.CutPrefix(strings.ToUpper(f), "NEAR/")
		if !ok {
			continue
		}
		d, err := strconv.Atoi(n)
		if err != nil || d < 0 || d > MaxNear {
			return p, fmt.Errorf("%q: NEAR/n needs n from 0 to %d", raw, MaxNear)
		}
		p.left, p.right, p.near = normalise(strings.Join(fields[:i], " ")), normalise(strings.Join(fields[i+1:], " ")), d
		if len(p.left) == 0 || len(p.right) == 0 {
			return p, fmt.Errorf("%q: NEAR/%d needs words on both sides", raw, d)
		}
		if len(p.left)+len(p.right) > MaxPhraseWords {
			return p, fmt.Errorf("%q: more than %d words", raw, MaxPhraseWords)
		}
		return p, nil
	}
	p.left = normalise(raw)
	if len(p.left) == 0 {
		return p, fmt.Errorf("%q has no words", raw)
	}
	if len(p.left) > MaxPhraseWords {
		return p, fmt.Errorf("%q: more than %d words", raw, MaxPhraseWords)
	}
	return p, nil
}

// Match returns every topic hit in the utterances, in order.
func (m *Matcher) Match(us []Utterance) []Hit {
	var hits []Hit
	for i, u := range us {
		ws := tokens(u)
		for _, t := range m.topics {
			if t.Channel != "" && t.Channel != "any" && t.Channel != u.Channel {
				continue
			}
			if excluded(t.exclude, ws) {
				continue
			}
			for _, p := range t.phrases {
				if at, ok := p.find(ws); ok {
					hits = append(hits, Hit{TopicID: t.ID, Channel: u.Channel, Utterance: i, StartMS: ws[at].StartMS, Phrase: p.text})
					break // a topic counts once per utterance
				}
			}
		}
	}
	return hits
}

func excluded(ps []phrase, ws []Word) bool {
	for _, p := range ps {
		if _, ok := p.find(ws); ok {
			return true
		}
	}
	return false
}

// find returns the index of the first word of the phrase's first match.
func (p phrase) find(ws []Word) (int, bool) {
	lefts := occurrences(p.left, ws)
	if p.right == nil {
		if len(lefts) == 0 {
			return 0, false
		}
		return lefts[0], true
	}
	rights := occurrences(p.right, ws)
	for _, l := range lefts {
		for _, r := range rights {
			// Words strictly between the two sequences, either order.
			gap := r - (l + len(p.left))
			if r < l {
				gap = l - (r + len(p.right))
			}
			if gap >= 0 && gap <= p.near {
				return min(l, r), true
			}
		}
	}
	return 0, false
}

// occurrences lists where seq starts in ws.
func occurrences(seq []string, ws []Word) []int {
	var at []int
	for i := 0; i+len(seq) <= len(ws); i++ {
		ok := true
		for k, s := range seq {
			if ws[i+k].Text != s {
				ok = false
				break
			}
		}
		if ok {
			at = append(at, i)
		}
	}
	return at
}
