package recorder

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// speechLike is a glottal pulse train at a gliding pitch through two
// resonators (formants), with a pause every 3 s: enough like voiced speech
// for SILK to code it as such.
func speechLike(seconds int, f1, f2 float64) []int16 {
	out := make([]int16, seconds*8000)
	var phase, y1, y2, z1, z2 float64
	for i := range out {
		t := float64(i) / 8000
		phase += (150 + 50*math.Sin(2*math.Pi*0.7*t)) / 8000
		x := 0.0
		if phase >= 1 {
			phase--
			x = 1
		}
		const r = 0.97
		y := x + 2*r*math.Cos(2*math.Pi*f1/8000)*y1 - r*r*y2
		y2, y1 = y1, y
		z := y + 2*r*math.Cos(2*math.Pi*f2/8000)*z1 - r*r*z2
		z2, z1 = z1, z
		if math.Mod(t, 3) > 2.4 {
			z *= 0.01
		}
		out[i] = int16(max(min(z*150, 32767), -32768))
	}
	return out
}

// bandPower is the power of x at frequency f (Goertzel).
func bandPower(x []int16, f float64) float64 {
	c := 2 * math.Cos(2*math.Pi*f/8000)
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = float64(v)+c*s1-s2, s1
	}
	return (s1*s1 + s2*s2 - c*s1*s2) / float64(len(x))
}

// logSpectralDistance is the mean distance in dB between a and b's power
// at 100 Hz steps from 300 to 3400 Hz over the 20 ms frames of a that hold
// at least a tenth of its mean frame energy (speech, not pauses).
func logSpectralDistance(a, b []int16) float64 {
	type frame struct{ energy, d float64 }
	var frames []frame
	var mean float64
	for off := 0; off+160 <= min(len(a), len(b)); off += 160 {
		var f frame
		bins := 0
		for hz := 300.0; hz <= 3400; hz += 100 {
			pa, pb := bandPower(a[off:off+160], hz), bandPower(b[off:off+160], hz)
			f.energy += pa
			f.d += math.Pow(10*math.Log10((pa+1)/(pb+1)), 2)
			bins++
		}
		f.d = math.Sqrt(f.d / float64(bins))
		frames = append(frames, f)
		mean += f.energy
	}
	mean /= float64(max(len(frames), 1))
	var sum float64
	n := 0
	for _, f := range frames {
		if f.energy >= mean/10 {
			sum += f.d
			n++
		}
	}
	return sum / float64(max(n, 1))
}

func builtLibraries() []string {
	libs := []string{LibGopus}
	if _, err := newPacketEncoder(EncodeOptions{Library: LibOpus, Bitrate: 16000}); err == nil {
		libs = append(libs, LibOpus)
	}
	return libs
}

// TestArchiveRoundTrip encodes two different voices, one a channel, with
// each built library and the recorder's default, decodes them with
// DecodeToWAV and checks length, size, per-channel energy and spectrum.
func TestArchiveRoundTrip(t *testing.T) {
	const seconds = 12
	left, right := speechLike(seconds, 500, 1500), speechLike(seconds, 800, 2300)
	pcm := make([]byte, 4*len(left))
	for i := range left {
		binary.LittleEndian.PutUint16(pcm[4*i:], uint16(left[i]))
		binary.LittleEndian.PutUint16(pcm[4*i+2:], uint16(right[i]))
	}
	opts := []EncodeOptions{DefaultEncode}
	for _, lib := range builtLibraries() {
		for _, o := range []EncodeOptions{{Complexity: 0}, {Complexity: 5}, {Complexity: 0, FrameMs: 40}, {Complexity: 2, FrameMs: 60}} {
			o.Library, o.Bitrate = lib, DefaultEncode.Bitrate
			opts = append(opts, o)
		}
	}
	for _, o := range opts {
		t.Run(fmt.Sprintf("%s/complexity %d/%d ms", o.Library, o.Complexity, o.frameMs()), func(t *testing.T) {
			var ogg bytes.Buffer
			if err := EncodePCM(bytes.NewReader(pcm), &ogg, o); err != nil {
				t.Fatal(err)
			}
			// 7.5 MB per stereo hour is the target.
			if perHour := float64(ogg.Len()) / seconds * 3600 / 1e6; perHour > 7.5 {
				t.Errorf("%.2f MB per stereo hour, want ≤ 7.5", perHour)
			}
			n, dl, dr := decodeArchive(t, ogg.Bytes())
			frame := int64(8 * o.frameMs())
			// The decoder's delay (pre-skip) is dropped at the start.
			want := int64(len(left) - archivePreSkip/6)
			if n < want || n > want+frame {
				t.Fatalf("decoded %d samples, want %d..%d", n, want, want+frame)
			}
			for _, c := range []struct {
				name       string
				in, out    []int16
				own, other float64
			}{{"left", left, dl, 500, 800}, {"right", right, dr, 800, 500}} {
				ratio := energy(c.out) / energy(c.in)
				if ratio < 0.5 || ratio > 2 {
					t.Errorf("%s: decoded energy %.2f× the input's, want 0.5–2", c.name, ratio)
				}
				// Each party keeps a channel of its own: the other voice's
				// formant must not leak in.
				if own, other := bandPower(c.out, c.own), bandPower(c.out, c.other); own < 4*other {
					t.Errorf("%s: power at its formant %.0f not 4× the other channel's formant %.0f", c.name, own, other)
				}
				d := logSpectralDistance(c.in, c.out)
				if d > 6 {
					t.Errorf("%s: log-spectral distance %.2f dB, want ≤ 6", c.name, d)
				}
				t.Logf("%s: %.2f MB/h, energy ratio %.2f, LSD %.2f dB", c.name, float64(ogg.Len())/seconds*3600/1e6, ratio, d)
			}
		})
	}
}

// decodeArchive runs DecodeToWAV on an archive and splits the WAV's
// channels.
func decodeArchive(t *testing.T, ogg []byte) (samples int64, left, right []int16) {
	t.Helper()
	wav, err := os.Create(filepath.Join(t.TempDir(), "out.wav"))
	if err != nil {
		t.Fatal(err)
	}
	defer wav.Close()
	n, err := DecodeToWAV(bytes.NewReader(ogg), wav)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(wav.Name())
	if err != nil {
		t.Fatal(err)
	}
	for i := 44; i+3 < len(raw); i += 4 {
		left = append(left, int16(binary.LittleEndian.Uint16(raw[i:])))
		right = append(right, int16(binary.LittleEndian.Uint16(raw[i+2:])))
	}
	return n, left, right
}

func energy(x []int16) float64 {
	var e float64
	for _, v := range x {
		e += float64(v) * float64(v)
	}
	return e / float64(max(len(x), 1))
}

// TestEncodeOptionsRefused checks bad settings are refused before any
// output is written.
func TestEncodeOptionsRefused(t *testing.T) {
	for _, o := range []EncodeOptions{
		{Library: "lame", Bitrate: DefaultEncode.Bitrate},
		{Library: LibGopus, Bitrate: DefaultEncode.Bitrate, FrameMs: 30},
		{Library: LibGopus, Bitrate: DefaultEncode.Bitrate, Complexity: 11},
		{Library: LibGopus, Bitrate: 1000},
	} {
		var out bytes.Buffer
		if err := EncodePCM(bytes.NewReader(make([]byte, 640)), &out, o); err == nil || out.Len() != 0 {
			t.Errorf("%+v: err %v, %d bytes written; want an error and nothing written", o, err, out.Len())
		}
	}
	if len(builtLibraries()) == 1 {
		err := EncodePCM(bytes.NewReader(nil), &bytes.Buffer{}, EncodeOptions{Library: LibOpus, Bitrate: DefaultEncode.Bitrate})
		if !errors.Is(err, ErrLibraryNotBuilt) {
			t.Errorf("libopus in a pure-Go build: %v, want ErrLibraryNotBuilt", err)
		}
	}
}
