package analytics

import (
	"errors"
	"fmt"
	"strings"
)

// Pattern is a kind of sensitive number to redact: a run of spoken
// digits of a given length, optionally passing the Luhn check (payment
// cards) or said within a few words after one of its cue phrases ("security
// code" before three digits).
type Pattern struct {
	Name      string   `json:"name"`
	MinDigits int      `json:"min_digits"`
	MaxDigits int      `json:"max_digits"`
	Luhn      bool     `json:"luhn,omitempty"`
	After     []string `json:"after,omitempty"`
}

// DefaultPatterns are what a tenant redacts unless it says otherwise:
// payment card numbers (ISO/IEC 7812: 13 to 19 digits with a Luhn check
// digit) and card security codes.
var DefaultPatterns = []Pattern{
	{Name: "card number", MinDigits: 13, MaxDigits: 19, Luhn: true},
	{Name: "security code", MinDigits: 3, MaxDigits: 4, After: []string{"security code", "cvv", "cvc", "cv2", "verification code"}},
}

// cueWindow is how many words after a cue phrase its digits may start.
const cueWindow = 6

// ErrInvalidPattern is wrapped by every refusal of a pattern.
var ErrInvalidPattern = errors.New("analytics: invalid redaction pattern")

// CheckPattern reports what is wrong with a pattern, if anything.
func CheckPattern(p Pattern) error {
	switch {
	case strings.TrimSpace(p.Name) == "":
		return fmt.Errorf("%w: a pattern needs a name", ErrInvalidPattern)
	case p.MinDigits < 3 || p.MaxDigits > 32 || p.MinDigits > p.MaxDigits:
		return fmt.Errorf("%w: %q: digits must be from 3 to 32, the least no more than the most", ErrInvalidPattern, p.Name)
	case len(p.After) > 20:
		return fmt.Errorf("%w: %q: at most 20 cue phrases", ErrInvalidPattern, p.Name)
	}
	return nil
}

// Span is one sensitive number found in a transcript.
type Span struct {
	Pattern   string `json:"pattern"`
	Channel   string `json:"channel"`
	Utterance int    `json:"utterance"`
	StartMS   int64  `json:"start_ms"`
	EndMS     int64  `json:"end_ms"`
}

// Mask replaces each redacted word in a transcript's text.
const Mask = "[redacted]"

// Redact finds the patterns' numbers, returns the transcript with their
// words masked (text rebuilt from the words) and where they were said, so
// the same spans can be silenced in the audio.
func Redact(us []Utterance, patterns []Pattern) ([]Utterance, []Span) {
	out := make([]Utterance, len(us))
	var spans []Span
	for i, u := range us {
		ws := tokens(u)
		masked := make([]bool, len(ws))
		for _, p := range patterns {
			for _, r := range find(p, ws, masked) {
				for k := r[0]; k <= r[1]; k++ {
					masked[k] = true
				}
				spans = append(spans, Span{Pattern: p.Name, Channel: u.Channel, Utterance: i, StartMS: ws[r[0]].StartMS, EndMS: ws[r[1]].EndMS})
			}
		}
		out[i] = u
		if !anyTrue(masked) {
			continue
		}
		out[i].Words = make([]Word, len(ws))
		texts := make([]string, 0, len(ws))
		for k, w := range ws {
			if masked[k] {
				w.Text = Mask
			}
			out[i].Words[k] = w
			if masked[k] && len(texts) > 0 && texts[len(texts)-1] == Mask {
				continue // one mask for a run of digits
			}
			texts = append(texts, w.Text)
		}
		out[i].Text = strings.Join(texts, " ")
	}
	return out, spans
}

func anyTrue(b []bool) bool {
	for _, v := range b {
		if v {
			return true
		}
	}
	return false
}

// find returns [first, last] word ranges of p's numbers, longest first
// within each run of digit words, skipping words already masked.
func find(p Pattern, ws []Word, masked []bool) [][2]int {
	var out [][2]int
	cues := make([][]string, len(p.After))
	for i, c := range p.After {
		cues[i] = normalise(c)
	}
	for i := 0; i < len(ws); {
		if masked[i] || digitsOf(ws[i].Text) == "" {
			i++
			continue
		}
		end := i
		for end+1 < len(ws) && !masked[end+1] && digitsOf(ws[end+1].Text) != "" {
			end++
		}
		out = append(out, matchRun(p, ws, i, end, cues)...)
		i = end + 1
	}
	return out
}

// matchRun tries windows of the run ws[first..last], longest first.
func matchRun(p Pattern, ws []Word, first, last int, cues [][]string) [][2]int {
	var out [][2]int
	for a := first; a <= last; {
		found := false
		for b := last; b >= a; b-- {
			d := ""
			for k := a; k <= b; k++ {
				d += digitsOf(ws[k].Text)
			}
			if len(d) < p.MinDigits || len(d) > p.MaxDigits || (p.Luhn && !luhn(d)) || (len(cues) > 0 && !cuedBefore(ws, a, cues)) {
				continue
			}
			out = append(out, [2]int{a, b})
			a, found = b+1, true
			break
		}
		if !found {
			a++
		}
	}
	return out
}

func cuedBefore(ws []Word, at int, cues [][]string) bool {
	from := max(0, at-cueWindow)
	for _, c := range cues {
		for _, o := range occurrences(c, ws[from:at]) {
			if from+o+len(c) <= at {
				return true
			}
		}
	}
	return false
}

// spoken digits, as recognisers write them.
var digitWords = map[string]string{
	"zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4",
	"five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}

// digitsOf is the digits a word stands for: "4111" → "4111", "seven" → "7",
// anything else "".
func digitsOf(w string) string {
	if d, ok := digitWords[w]; ok {
		return d
	}
	for _, r := range w {
		if r < '0' || r > '9' {
			return ""
		}
	}
	return w
}

// luhn is the ISO/IEC 7812 check digit test.
func luhn(d string) bool {
	sum := 0
	for i := 0; i < len(d); i++ {
		n := int(d[len(d)-1-i] - '0')
		if i%2 == 1 {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
	}
	return sum%10 == 0
}
