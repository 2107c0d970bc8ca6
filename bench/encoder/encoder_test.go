package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"callrec/internal/recorder"
)

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		ref, hyp string
		want     int
	}{
		{"the birch canoe", "the birch canoe", 0},
		{"the birch canoe", "the canoe", 1},               // deletion
		{"the birch canoe", "a the birch canoe", 1},       // insertion
		{"the birch canoe", "the bird canoe", 1},          // substitution
		{"it's easy to tell", "its easy to tell well", 2}, // apostrophes count
		{"", "noise", 1},
		{"two words", "", 2},
	} {
		if got := editDistance(words(c.ref), words(c.hyp)); got != c.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.ref, c.hyp, got, c.want)
		}
	}
}

func TestWordsNormalises(t *testing.T) {
	got := strings.Join(words("It snowed, rained, and hailed the same morning. The man's fall."), " ")
	if want := "it snowed rained and hailed the same morning the man's fall"; got != want {
		t.Errorf("words = %q, want %q", got, want)
	}
}

func TestSentencesSplitEvenly(t *testing.T) {
	l, r := sentences()
	if len(l) != 30 || len(r) != 30 {
		t.Fatalf("%d and %d sentences, want 30 and 30", len(l), len(r))
	}
	if l[0] != "The birch canoe slid on the smooth planks." || r[0] != "Hoist the load to your left shoulder." {
		t.Errorf("channels start %q / %q", l[0], r[0])
	}
}

func TestBigramLM(t *testing.T) {
	lm := bigramLM([]string{"The cat sat.", "The dog sat."})
	for _, want := range []string{"ngram 1=6\n", "ngram 2=6\n", " <s> the\n", " cat sat\n", " sat </s>\n", "\\end\\"} {
		if !strings.Contains(lm, want) {
			t.Errorf("LM lacks %q:\n%s", want, lm)
		}
	}
}

func TestWAV16kImages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.wav")
	if err := wav16k(path, []int16{100, -200, 20000}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := wavSamples(b)
	want := []int16{200, 0, -400, 0, 32767, 0}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestLagAndLSD(t *testing.T) {
	x := voiced(4, 1)
	late := append(make([]int16, 37), x...)
	if l := lag(x, late); l != 37 {
		t.Fatalf("lag = %d, want 37", l)
	}
	if d := lsd(x, shift(late, 37)); d != 0 {
		t.Errorf("LSD of the realigned signal = %.2f, want 0", d)
	}
	quiet := make([]int16, len(x))
	for i, v := range x {
		quiet[i] = v / 4
	}
	if d := lsd(x, quiet); d < 11 || d > 13 {
		t.Errorf("LSD against 12 dB quieter = %.2f, want about 12", d)
	}
}

// TestOpusCandidateMeasures runs one candidate through measure: sizes and
// CPU are positive and the decoded voice is aligned and close.
func TestOpusCandidateMeasures(t *testing.T) {
	voice := interleave(voiced(12, 1), voiced(12, 2))
	speech := interleave(voiced(5, 3), voiced(5, 4))
	call := interleave(append(voiced(3, 5), lineNoise(3*rate, 1)...), append(lineNoise(3*rate, 2), voiced(3, 6)...))
	r, dec, err := measure(opus(recorder.DefaultEncode), voice, call, speech)
	if err != nil {
		t.Fatal(err)
	}
	if r.mbPerHour < 4 || r.mbPerHour > 7.5 || r.cpuVoiced <= 0 || r.cpuCall <= 0 || r.lag != 0 || r.lsd <= 0 || r.lsd > 4 {
		t.Errorf("measured %+v", r)
	}
	if len(dec) < len(speech)-2*8*20 {
		t.Errorf("decoded %d samples of %d", len(dec), len(speech))
	}
}
