package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"callrec/internal/recorder"
)

// candidate compresses stereo 8 kHz audio and decodes it again; it reports
// the compressed size and the CPU seconds spent compressing.
type candidate struct {
	name, family string
	encode       func(stereo []int16) (size int, cpuSeconds float64, decoded []int16, err error)
}

func candidates(only, match string) []candidate {
	var all []candidate
	all = append(all,
		reference("G.711 µ-law original", 1, 0),
		reference("  same, 1 dB quieter (WER noise)", math.Pow(10, -1.0/20), 0),
		reference("  same, 1 ms later (WER noise)", 1, 8))
	for _, o := range []recorder.EncodeOptions{
		{Complexity: 0}, {Complexity: 1}, {Complexity: 2}, {Complexity: 3}, {Complexity: 5},
		{Complexity: 0, FrameMs: 60}, {Complexity: 5, FrameMs: 60},
		{Complexity: 0, FrameMs: 60, Bitrate: 18000}, {Complexity: 0, FrameMs: 60, Bitrate: 19000}, {Complexity: 0, FrameMs: 60, Bitrate: 20000},
	} {
		o.Library = recorder.LibGopus
		if o.Bitrate == 0 {
			o.Bitrate = 16000
		}
		all = append(all, opus(o))
	}
	if libopusBuilt() {
		for _, o := range []recorder.EncodeOptions{
			{Complexity: 0}, {Complexity: 1}, {Complexity: 2}, {Complexity: 3}, {Complexity: 4}, {Complexity: 5},
			{Complexity: 0, FrameMs: 40},
			{Complexity: 0, FrameMs: 60}, {Complexity: 1, FrameMs: 60}, {Complexity: 2, FrameMs: 60}, {Complexity: 3, FrameMs: 60},
			{Complexity: 0, FrameMs: 60, Bitrate: 12000},
			{Complexity: 0, FrameMs: 60, Bitrate: 18000}, {Complexity: 0, FrameMs: 60, Bitrate: 19000}, {Complexity: 0, FrameMs: 60, Bitrate: 20000}, {Complexity: 1, FrameMs: 60, Bitrate: 20000},
		} {
			o.Library = recorder.LibOpus
			if o.Bitrate == 0 {
				o.Bitrate = 16000
			}
			all = append(all, opus(o))
		}
	}
	// The recorder's default: its build's library and settings, each
	// party's silence not encoded.
	all = append(all, opus(recorder.DefaultEncode))
	all = append(all, lame(8), lame(16))
	fams := strings.Split(only, ",")
	return slices.DeleteFunc(all, func(c candidate) bool {
		return only != "" && !slices.Contains(fams, c.family) || !strings.Contains(c.name, match)
	})
}

func libopusBuilt() bool {
	return recorder.EncodePCM(bytes.NewReader(nil), &bytes.Buffer{}, recorder.EncodeOptions{Library: recorder.LibOpus, Bitrate: 16000}) == nil
}

// measure runs a candidate on the synthetic voiced signal (size, CPU, LSD),
// on the call (CPU) and on the speech (CPU, and the decoded audio for the
// recognizer).
func measure(c candidate, voice, call, speech []int16) (result, []int16, error) {
	r := result{name: c.name}
	size, spent, dec, err := c.encode(voice)
	if err != nil {
		return r, nil, err
	}
	seconds := float64(len(voice)/2) / rate
	r.mbPerHour = float64(size) / seconds * 3600 / 1e6
	r.cpuVoiced = spent / 2 / seconds * 3600
	r.lag = lag(channel(voice, 0), channel(dec, 0))
	r.lsd = (lsd(channel(voice, 0), shift(channel(dec, 0), r.lag)) + lsd(channel(voice, 1), shift(channel(dec, 1), r.lag))) / 2
	_, spent, _, err = c.encode(call)
	if err != nil {
		return r, nil, err
	}
	r.cpuCall = spent / 2 / (float64(len(call)/2) / rate) * 3600
	size, spent, dec, err = c.encode(speech)
	if err != nil {
		return r, nil, err
	}
	seconds = float64(len(speech)/2) / rate
	r.mbSpeech = float64(size) / seconds * 3600 / 1e6
	r.cpuSpeech = spent / 2 / seconds * 3600
	return r, dec, nil
}

// reference is the G.711 signal itself, scaled and delayed: how much the
// recognizer's WER moves for changes no listener would call worse.
func reference(name string, gain float64, delay int) candidate {
	return candidate{name: name, family: "g711", encode: func(stereo []int16) (int, float64, []int16, error) {
		c0 := cpu()
		out := make([]int16, len(stereo))
		for i := 2 * delay; i < len(stereo); i++ {
			out[i] = int16(math.Round(float64(stereo[i-2*delay]) * gain))
		}
		return len(stereo), cpu() - c0, out, nil
	}}
}

// opus runs the recorder's own archive encoder and decoder.
func opus(o recorder.EncodeOptions) candidate {
	name := fmt.Sprintf("%s 2x%g kbit/s %d ms, complexity %d", o.Library, float64(o.Bitrate)/2000, max(o.FrameMs, 20), o.Complexity)
	if o.SilenceDBFS < 0 {
		name += fmt.Sprintf(", silence < %g dB skipped", o.SilenceDBFS)
	}
	return candidate{name: name, family: o.Library, encode: func(stereo []int16) (int, float64, []int16, error) {
		pcm := make([]byte, 2*len(stereo))
		for i, s := range stereo {
			binary.LittleEndian.PutUint16(pcm[2*i:], uint16(s))
		}
		var out bytes.Buffer
		c0 := cpu()
		if err := recorder.EncodePCM(bytes.NewReader(pcm), &out, o); err != nil {
			return 0, 0, nil, err
		}
		spent := cpu() - c0
		f, err := os.CreateTemp("", "bench-encoder-*.wav")
		if err != nil {
			return 0, 0, nil, err
		}
		defer os.Remove(f.Name())
		defer f.Close()
		if _, err := recorder.DecodeToWAV(bytes.NewReader(out.Bytes()), f); err != nil {
			return 0, 0, nil, err
		}
		wav, err := os.ReadFile(f.Name())
		if err != nil {
			return 0, 0, nil, err
		}
		return out.Len(), spent, wavSamples(wav), nil
	}}
}

// lame is the LAME MP3 encoder (Debian's CLI), one mono file per channel;
// its CPU is the children's rusage.
func lame(kbps int) candidate {
	return candidate{name: fmt.Sprintf("LAME MP3 2x%d kbit/s mono", kbps), family: "lame", encode: func(stereo []int16) (int, float64, []int16, error) {
		dir, err := os.MkdirTemp("", "bench-lame")
		if err != nil {
			return 0, 0, nil, err
		}
		defer os.RemoveAll(dir)
		size, spent := 0, 0.0
		var chans [2][]int16
		for ch := range 2 {
			raw, mp3, wav := filepath.Join(dir, "in.raw"), filepath.Join(dir, "out.mp3"), filepath.Join(dir, "out.wav")
			mono := channel(stereo, ch)
			b := make([]byte, 2*len(mono))
			for i, s := range mono {
				binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
			}
			if err := os.WriteFile(raw, b, 0o600); err != nil {
				return 0, 0, nil, err
			}
			enc := exec.Command("lame", "--silent", "-r", "-s", "8", "--bitwidth", "16", "--signed", "--little-endian",
				"-m", "m", "-b", fmt.Sprint(kbps), raw, mp3)
			if out, err := enc.CombinedOutput(); err != nil {
				return 0, 0, nil, fmt.Errorf("lame: %w: %s", err, out)
			}
			spent += (enc.ProcessState.UserTime() + enc.ProcessState.SystemTime()).Seconds()
			st, err := os.Stat(mp3)
			if err != nil {
				return 0, 0, nil, err
			}
			size += int(st.Size())
			if out, err := exec.Command("lame", "--silent", "--decode", mp3, wav).CombinedOutput(); err != nil {
				return 0, 0, nil, fmt.Errorf("lame --decode: %w: %s", err, out)
			}
			w, err := os.ReadFile(wav)
			if err != nil {
				return 0, 0, nil, err
			}
			chans[ch] = wavSamples(w)
		}
		return size, spent, interleave(chans[0], chans[1]), nil
	}}
}

// lag finds the delay of b against a, in samples (-400..400), by
// cross-correlation over the first 10 s: a codec whose decoder does not
// remove its delay would otherwise look worse than it sounds.
func lag(a, b []int16) int {
	n := min(len(a), len(b), 10*rate)
	best, bestLag := math.Inf(-1), 0
	for l := -400; l <= 400; l++ {
		var sum float64
		for i := 400; i < n-400; i++ {
			sum += float64(a[i]) * float64(b[i+l])
		}
		if sum > best {
			best, bestLag = sum, l
		}
	}
	return bestLag
}

// shift drops the first l samples of x (or prepends -l zeros).
func shift(x []int16, l int) []int16 {
	if l >= 0 {
		return x[min(l, len(x)):]
	}
	return append(make([]int16, -l), x...)
}
