//go:build pocketsphinx

package speech

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"
)

func newSphinx(t *testing.T) Engine {
	t.Helper()
	eng, err := NewSphinx(SphinxConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

func TestSphinxTelephoneSpeech(t *testing.T) {
	eng := newSphinx(t)
	pcm := telephoneSpeech(t, "please call me back tomorrow morning about the invoice", "en-us", "50")
	words, err := eng.Transcribe(context.Background(), pcm, Rate)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, w := range words {
		got = append(got, w.Text)
		if w.End <= w.Start || (i > 0 && w.Start < words[i-1].Start) || w.Confidence < 0 || w.Confidence > 1 {
			t.Errorf("word %+v out of order or bounds", w)
		}
	}
	text := strings.Join(got, " ")
	t.Log(text)
	if !strings.Contains(text, "tomorrow morning") {
		t.Fatalf("heard %q, want it to contain %q", text, "tomorrow morning")
	}
	if _, err := eng.Transcribe(context.Background(), pcm, 44100); err == nil {
		t.Error("44.1 kHz accepted")
	}
}

// TestSphinxDialogue runs both channels of a two-party call through
// Transcribe: each party's sentence comes back on its own channel.
func TestSphinxDialogue(t *testing.T) {
	eng := newSphinx(t)
	a := telephoneSpeech(t, "your order will be delivered on friday afternoon", "en-us", "40")
	o := telephoneSpeech(t, "good morning how can i help you today", "en-us", "60")
	agent := concat(silence(0.5), a, silence(float64(len(o))/Rate+1))
	other := concat(silence(0.5+float64(len(a))/Rate+0.5), o, silence(0.5))
	lines, err := Transcribe(context.Background(), eng, agent, other, Rate, nil)
	if err != nil {
		t.Fatal(err)
	}
	var sawAgent, sawOther bool
	for _, l := range lines {
		t.Logf("%s %v–%v: %s", l.Channel, l.Start, l.End, l.Text)
		sawAgent = sawAgent || (l.Channel == Agent && strings.Contains(l.Text, "friday"))
		sawOther = sawOther || (l.Channel == Other && strings.Contains(l.Text, "help you"))
	}
	if !sawAgent || !sawOther {
		t.Fatalf("lines %+v: want the agent's 'friday' and the other party's 'help you'", lines)
	}
	if lines[0].Channel != Agent {
		t.Errorf("first line is the %s's", lines[0].Channel)
	}
}

// accuracySentences are read by espeak-ng and passed through G.711; they
// are the corpus of the README's pocketsphinx figures.
var accuracySentences = []string{
	"please call me back tomorrow morning about the invoice",
	"good morning how can i help you today",
	"i would like to check my account balance",
	"your order will be delivered on friday afternoon",
	"can you confirm the last four digits of your card",
	"the technician will visit between nine and eleven",
	"i am sorry for the delay we are very busy today",
	"thank you for calling have a nice day",
	"my internet connection has been down since yesterday",
	"we can offer you a discount on the next bill",
}

// TestSphinxAccuracy measures word error rate and CPU time per audio
// second over accuracySentences: go test -tags pocketsphinx -run SphinxAccuracy -v ./internal/speech/
func TestSphinxAccuracy(t *testing.T) {
	eng := newSphinx(t)
	var errs, refWords int
	var audio time.Duration
	var cpu time.Duration
	for _, voice := range []struct{ name, pitch string }{{"en-us", "50"}, {"en-gb", "30"}} {
		for _, s := range accuracySentences {
			pcm := telephoneSpeech(t, s, voice.name, voice.pitch)
			before := cpuTime()
			words, err := eng.Transcribe(context.Background(), pcm, Rate)
			if err != nil {
				t.Fatal(err)
			}
			cpu += cpuTime() - before
			audio += samplesToDuration(len(pcm), Rate)
			var hyp []string
			for _, w := range words {
				hyp = append(hyp, strings.ToLower(w.Text))
			}
			ref := strings.Fields(s)
			e := editDistance(ref, hyp)
			errs += e
			refWords += len(ref)
			t.Logf("%s %d/%d  ref: %s\n                hyp: %s", voice.name, e, len(ref), s, strings.Join(hyp, " "))
		}
	}
	wer := float64(errs) / float64(refWords)
	t.Logf("pocketsphinx on espeak-ng speech through G.711: WER %.1f%% (%d errors / %d words), %.3f CPU-s per audio-second (%.1f s audio)",
		100*wer, errs, refWords, cpu.Seconds()/audio.Seconds(), audio.Seconds())
	if wer > 0.85 {
		t.Errorf("WER %.2f: the model or the audio path is broken", wer)
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// editDistance counts word substitutions, insertions and deletions.
func editDistance(ref, hyp []string) int {
	prev := make([]int, len(hyp)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ref); i++ {
		cur := make([]int, len(hyp)+1)
		cur[0] = i
		for j := 1; j <= len(hyp); j++ {
			sub := prev[j-1]
			if ref[i-1] != hyp[j-1] {
				sub++
			}
			cur[j] = min(sub, prev[j]+1, cur[j-1]+1)
		}
		prev = cur
	}
	return prev[len(hyp)]
}
