package transcripts

import (
	"sort"
	"strings"
)

// stopwords are the common English words left out of keywords.
var stopwords = wordSet(`about above after again against all also and any are because been before being below between both but
		can could did does doing down during each few for from further had has have having her here hers herself him himself his how
		into its itself just like more most myself nor not now off once only other our ours ourselves out over own same she should
		some such than that the their theirs them themselves then there these they this those through too under until very was
		were what when where which while who whom why will with would you your yours yourself yourselves okay yeah well know
		right going want think really thank thanks please hello today good morning afternoon evening`)

func wordSet(words string) map[string]bool {
	set := map[string]bool{}
	for _, w := range strings.Fields(words) {
		set[w] = true
	}
	return set
}

// maxKeywords is how many keywords a basic analysis keeps.
const maxKeywords = 8

// Keywords are the transcript's most frequent content words (four letters
// or more, not a stopword), most frequent first, ties alphabetical.
func Keywords(text string) []string {
	counts := map[string]int{}
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r == '\'' || r >= 0x80)
	}) {
		w = strings.Trim(w, "'")
		if len([]rune(w)) >= 4 && !stopwords[w] {
			counts[w]++
		}
	}
	out := make([]string, 0, len(counts))
	for w := range counts {
		out = append(out, w)
	}
	sort.Slice(out, func(i, j int) bool {
		if counts[out[i]] != counts[out[j]] {
			return counts[out[i]] > counts[out[j]]
		}
		return out[i] < out[j]
	})
	if len(out) > maxKeywords {
		out = out[:maxKeywords]
	}
	return out
}

func splitKeywords(s string) []string { return strings.Split(s, ",") }
