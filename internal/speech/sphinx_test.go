//go:build pocketsphinx

package speech

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"callrec/internal/recorder"
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
// second over accuracySentences, read by two espeak-ng voices, through
// G.711 alone and then also through the recording archive (Opus at 8 kbit/s
// per channel), as the worker hears it:
// go test -tags pocketsphinx -run SphinxAccuracy -v ./internal/speech/
func TestSphinxAccuracy(t *testing.T) {
	eng := newSphinx(t)
	for _, path := range []struct {
		name string
		via  func([]int16) []int16
	}{{"G.711", func(p []int16) []int16 { return p }}, {"G.711 + Opus archive", throughArchive(t)}} {
		var errs, refWords int
		var audio, cpu time.Duration
		for _, voice := range []struct{ name, pitch string }{{"en-us", "50"}, {"en-gb", "30"}} {
			for _, s := range accuracySentences {
				pcm := path.via(telephoneSpeech(t, s, voice.name, voice.pitch))
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
				t.Logf("%s %s %d/%d  ref: %s\n                hyp: %s", path.name, voice.name, e, len(ref), s, strings.Join(hyp, " "))
			}
		}
		wer := float64(errs) / float64(refWords)
		t.Logf("pocketsphinx on espeak-ng speech through %s: WER %.1f%% (%d errors / %d words), %.3f CPU-s per audio-second (%.1f s audio)",
			path.name, 100*wer, errs, refWords, cpu.Seconds()/audio.Seconds(), audio.Seconds())
		if wer > 0.85 {
			t.Errorf("WER %.2f: the model or the audio path is broken", wer)
		}
	}
}

// throughArchive encodes mono audio as the recorder archives a call (both
// channels) and decodes it back, as the worker reads it.
func throughArchive(t *testing.T) func([]int16) []int16 {
	return func(pcm []int16) []int16 {
		var stereo bytes.Buffer
		for _, s := range pcm {
			_ = binary.Write(&stereo, binary.LittleEndian, [2]int16{s, s})
		}
		var opus bytes.Buffer
		if err := recorder.EncodePCM(&stereo, &opus, recorder.DefaultEncode); err != nil {
			t.Fatal(err)
		}
		f, err := os.CreateTemp(t.TempDir(), "*.wav")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		n, err := recorder.DecodeToWAV(&opus, f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Seek(44, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		out := make([]int16, 2*n)
		if err := binary.Read(f, binary.LittleEndian, out); err != nil {
			t.Fatal(err)
		}
		left, _ := SplitStereo(out)
		return left
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
