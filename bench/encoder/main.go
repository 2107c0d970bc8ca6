// Command encoder measures archive encoder candidates on this machine:
// size (MB per stereo hour) and CPU (seconds per channel-hour, one thread),
// each on the synthetic voiced signal and on the speech, and speech quality
// two ways — log-spectral distance (LSD, 300–3400 Hz,
// lower is better) on a synthetic voiced signal, and the word error rate
// (WER) of a speech recognizer (pocketsphinx) on espeak-ng speech sent
// through G.711, decoded after each candidate, next to the WER of the
// G.711 original. Pure-Go candidates run in the default build; libopus
// ones need -tags libopus. bench/encoder.sh runs both builds.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
)

const voicedSeconds = 120

// result is one candidate's row.
type result struct {
	name                 string
	mbPerHour, mbSpeech  float64
	cpuVoiced, cpuSpeech float64 // CPU-s per channel-hour
	lsd, wer             float64
	lag                  int // decoded output's delay, samples
}

func main() {
	only := flag.String("only", "", "comma-separated families to measure (g711, gopus, libopus, lame); empty = all in this build")
	match := flag.String("match", "", "measure only candidates whose name contains this")
	header := flag.Bool("header", true, "print the table header and the G.711 original's WER")
	flag.Parse()
	if err := run(*only, *match, *header); err != nil {
		fmt.Fprintln(os.Stderr, "encoder:", err)
		os.Exit(1)
	}
}

func run(only, match string, header bool) error {
	dir, err := os.MkdirTemp("", "bench-encoder")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	left, right := sentences()
	sl, err := speak(dir, left)
	if err != nil {
		return err
	}
	sr, err := speak(dir, right)
	if err != nil {
		return err
	}
	rec, err := newRecognizer(dir, append(append([]string{}, left...), right...))
	if err != nil {
		return err
	}
	ref := [2][]string{words(strings.Join(left, " ")), words(strings.Join(right, " "))}
	speech := interleave(sl, sr)
	voice := interleave(voiced(voicedSeconds, 1), voiced(voicedSeconds, 2))

	base, err := werOf(rec, speech, ref)
	if err != nil {
		return err
	}
	if header {
		fmt.Printf("%-38s %10s %8s %10s %8s %7s %6s %8s %4s\n", "candidate", "MB/st-hour", "(speech)", "CPU-s/ch-h", "(speech)", "LSD dB", "WER %", "WER orig", "lag")
	}
	// Encode every candidate first, one at a time, so the CPU figures are
	// not disturbed by the recognizer, then recognise two at a time.
	var rows []result
	var decoded [][]int16
	for _, c := range candidates(only, match) {
		r, dec, err := measure(c, voice, speech)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		rows = append(rows, r)
		decoded = append(decoded, dec)
	}
	errs := make([]error, len(rows))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i := range rows {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			rows[i].wer, errs[i] = werOf(rec, decoded[i], ref)
		}()
	}
	wg.Wait()
	for i, r := range rows {
		if errs[i] != nil {
			return fmt.Errorf("%s: %w", r.name, errs[i])
		}
		fmt.Printf("%-38s %10.2f %8.2f %10.1f %8.1f %7.2f %6.1f %8.1f %4d\n", r.name, r.mbPerHour, r.mbSpeech, r.cpuVoiced, r.cpuSpeech, r.lsd, r.wer, base, r.lag)
	}
	return nil
}

// werOf is the word error rate, in percent, of the recognizer on stereo
// audio against each channel's reference.
func werOf(rec *recognizer, stereo []int16, ref [2][]string) (float64, error) {
	errs, n := 0, 0
	for ch := range 2 {
		hyp, err := rec.transcribe(channel(stereo, ch))
		if err != nil {
			return 0, err
		}
		errs += editDistance(ref[ch], words(hyp))
		n += len(ref[ch])
	}
	return 100 * float64(errs) / float64(n), nil
}

func interleave(l, r []int16) []int16 {
	n := max(len(l), len(r))
	out := make([]int16, 2*n)
	for i := range n {
		if i < len(l) {
			out[2*i] = l[i]
		}
		if i < len(r) {
			out[2*i+1] = r[i]
		}
	}
	return out
}

func channel(stereo []int16, ch int) []int16 {
	out := make([]int16, len(stereo)/2)
	for i := range out {
		out[i] = stereo[2*i+ch]
	}
	return out
}
