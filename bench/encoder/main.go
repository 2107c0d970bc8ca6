// Command encoder measures archive encoder candidates on this machine:
// size (MB per stereo hour) and CPU (seconds per channel-hour, one thread),
// on the synthetic voiced signal, on a call (each party's sentences while
// the other is on a quiet line) and on the speech, and speech quality
// two ways — log-spectral distance (LSD, 300–3400 Hz,
// lower is better) on a synthetic voiced signal, and the word error rate
// (WER) of a speech recognizer (pocketsphinx) on espeak-ng speech sent
// through G.711, decoded after each candidate, next to the WER of the
// G.711 original. Pure-Go candidates run in the default build; libopus
// ones need -tags libopus. bench/encoder.sh runs both builds.
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
)

const voicedSeconds = 120

// result is one candidate's row.
type result struct {
	name                string
	mbPerHour, mbSpeech float64
	cpuVoiced, cpuCall  float64 // CPU-s per channel-hour
	cpuSpeech           float64
	lsd, wer            float64
	lag                 int // decoded output's delay, samples
}

func main() {
	only := flag.String("only", "", "comma-separated families to measure (g711, gopus, libopus, lame); empty = all in this build")
	match := flag.String("match", "", "measure only candidates whose name contains this")
	header := flag.Bool("header", true, "print the table header and the G.711 original's WER")
	callWAV := flag.String("call-wav", "", "write the call (the two parties' sentences in turn, the other on a quiet line) to this stereo WAV, for bench/siprec.sh --audio, and stop")
	flag.Parse()
	if *callWAV != "" {
		if err := writeCall(*callWAV); err != nil {
			fmt.Fprintln(os.Stderr, "encoder:", err)
			os.Exit(1)
		}
		return
	}
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
	sl, sr, err := speakBoth(dir, left, right)
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
	call, err := callOf(sl, sr)
	if err != nil {
		return err
	}

	base, err := werOf(rec, speech, ref)
	if err != nil {
		return err
	}
	if header {
		fmt.Printf("%-62s %10s %8s %10s %8s %8s %7s %6s %8s %4s\n", "candidate", "MB/st-hour", "(speech)", "CPU-s/ch-h", "(call)", "(speech)", "LSD dB", "WER %", "WER orig", "lag")
	}
	// Encode every candidate first, one at a time, so the CPU figures are
	// not disturbed by the recognizer, then recognise two at a time.
	var rows []result
	var decoded [][]int16
	for _, c := range candidates(only, match) {
		r, dec, err := measure(c, voice, call, speech)
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
		fmt.Printf("%-62s %10.2f %8.2f %10.1f %8.1f %8.1f %7.2f %6.1f %8.1f %4d\n", r.name, r.mbPerHour, r.mbSpeech, r.cpuVoiced, r.cpuCall, r.cpuSpeech, r.lsd, r.wer, base, r.lag)
	}
	return nil
}

// speakBoth speaks each channel's sentences.
func speakBoth(dir string, left, right []string) (sl, sr []int16, err error) {
	if sl, err = speak(dir, left); err != nil {
		return nil, nil, err
	}
	sr, err = speak(dir, right)
	return sl, sr, err
}

// callOf is a call: the left party's sentences while the right is on a
// quiet line, then the right's while the left is.
func callOf(sl, sr []int16) ([]int16, error) {
	q1, err := throughG711(lineNoise(len(sr), 1))
	if err != nil {
		return nil, err
	}
	q2, err := throughG711(lineNoise(len(sl), 2))
	if err != nil {
		return nil, err
	}
	return interleave(append(slices.Clone(sl), q1...), append(q2, sr...)), nil
}

// writeCall writes the call as a stereo 8 kHz 16-bit WAV.
func writeCall(path string) error {
	dir, err := os.MkdirTemp("", "bench-encoder")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	left, right := sentences()
	sl, sr, err := speakBoth(dir, left, right)
	if err != nil {
		return err
	}
	call, err := callOf(sl, sr)
	if err != nil {
		return err
	}
	b := make([]byte, 44+2*len(call))
	copy(b, "RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x02\x00\x40\x1f\x00\x00\x00\x7d\x00\x00\x04\x00\x10\x00data")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+2*len(call)))
	binary.LittleEndian.PutUint32(b[40:], uint32(2*len(call)))
	for i, v := range call {
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(v))
	}
	return os.WriteFile(path, b, 0o644)
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
