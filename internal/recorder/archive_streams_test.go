package recorder

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/thesyncim/gopus"
)

// TestStreamPairIsTheMultistreamBitstream: with silence skipping off, the
// two mono encoders joined by appendSelfDelimited write byte for byte what
// gopus's own multistream encoder writes for the same audio — the framing
// is RFC 6716 Appendix B as an independent implementation reads it.
func TestStreamPairIsTheMultistreamBitstream(t *testing.T) {
	left, right := speechLike(6, 500, 1500), speechLike(6, 800, 2300)
	for _, frameMs := range []int{20, 60} {
		opt := EncodeOptions{Library: LibGopus, Bitrate: 20000, Complexity: 0, FrameMs: frameMs}
		pair, err := newPacketEncoder(opt)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := gopus.NewMultistreamEncoder(8000, 2, 2, 0, []byte{0, 1}, gopus.ApplicationVoIP)
		if err != nil {
			t.Fatal(err)
		}
		for _, set := range []error{ms.SetBitrate(opt.Bitrate), ms.SetComplexity(0), ms.SetFrameSize(8 * frameMs)} {
			if set != nil {
				t.Fatal(set)
			}
		}
		frame := 8 * frameMs
		pcm := make([]int16, 2*frame)
		a, b := make([]byte, 4000), make([]byte, 4000)
		for off := 0; off+frame <= len(left); off += frame {
			for i := range frame {
				pcm[2*i], pcm[2*i+1] = left[off+i], right[off+i]
			}
			na, err := pair.encode(pcm, a)
			if err != nil {
				t.Fatal(err)
			}
			nb, err := ms.EncodeInt16(pcm, b)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a[:na], b[:nb]) {
				t.Fatalf("%d ms frames, frame at %d: %x, gopus multistream %x", frameMs, off, a[:na], b[:nb])
			}
		}
	}
}

// TestSelfDelimitedFraming checks the layouts of RFC 6716 Appendix B:
// one frame, equal frames (code 3 CBR), unequal frames (code 3 VBR), a
// two-byte length, and padding dropped.
func TestSelfDelimitedFraming(t *testing.T) {
	long := bytes.Repeat([]byte{7}, 300)
	for _, c := range []struct {
		name     string
		in, want []byte
	}{
		{"one frame", []byte{0x18, 1, 2, 3}, []byte{0x18, 3, 1, 2, 3}},
		{"empty frame", []byte{0x18}, []byte{0x18, 0}},
		{"two equal frames (code 1)", []byte{0x19, 1, 2, 3, 4}, []byte{0x1b, 2, 2, 1, 2, 3, 4}},
		{"two frames (code 2)", []byte{0x1a, 1, 9, 8, 7}, []byte{0x1b, 0x82, 1, 2, 9, 8, 7}},
		{"three frames, CBR, padded", []byte{0x0b, 0x43, 2, 1, 2, 3, 0, 0}, []byte{0x0b, 3, 1, 1, 2, 3}},
		{"300-byte frame", append([]byte{0x18}, long...), append([]byte{0x18, 252, 12}, long...)},
	} {
		got, err := appendSelfDelimited(nil, c.in)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !bytes.Equal(got, c.want) {
			t.Errorf("%s: %x, want %x", c.name, got, c.want)
		}
	}
	if _, err := appendSelfDelimited(nil, []byte{0x19, 1, 2, 3}); err == nil {
		t.Error("code 1 packet of odd length: no error")
	}
	if _, err := appendSelfDelimited(nil, nil); err == nil {
		t.Error("empty packet: no error")
	}
}

// atLevel scales x to an RMS of dbfs.
func atLevel(x []int16, dbfs float64) []int16 {
	k := 32768 * math.Pow(10, dbfs/20) / math.Sqrt(energy(x))
	out := make([]int16, len(x))
	for i, v := range x {
		out[i] = int16(max(min(float64(v)*k, 32767), -32768))
	}
	return out
}

// callChannels is a call as the archive sees it: the left party talks
// throughout at -26 dBFS (its pauses 40 dB down); the right party is
// digital silence, then talks, then sits on a quiet line (G.711 idle
// noise, about -70 dBFS), then speaks softly (-45 dBFS), which must be
// kept.
func callChannels() (left, right []int16, spans map[string][2]int) {
	const s = 8000
	left = atLevel(speechLike(12, 500, 1500), -26)
	right = make([]int16, len(left))
	copy(right[3*s:6*s], atLevel(speechLike(3, 800, 2300), -26))
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 6 * s; i < 9*s; i++ {
		right[i] = int16(rng.NormFloat64() * 10)
	}
	copy(right[9*s:], atLevel(speechLike(3, 800, 2300), -45))
	return left, right, map[string][2]int{"silence": {0, 3 * s}, "speech": {3 * s, 5 * s}, "quiet line": {6 * s, 9 * s}, "soft speech": {9 * s, 11 * s}}
}

func encodeDecode(t *testing.T, left, right []int16, opt EncodeOptions) (dl, dr []int16, size int, skipped [2]int) {
	t.Helper()
	pair, err := newPacketEncoder(opt)
	if err != nil {
		t.Fatal(err)
	}
	defer pair.close()
	dec, err := gopus.NewMultistreamDecoder(8000, 2, 2, 0, []byte{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	frame := 8 * opt.frameMs()
	pcm, out, packet := make([]int16, 2*frame), make([]int16, 2*frame), make([]byte, 4000)
	for off := 0; off+frame <= len(left); off += frame {
		for i := range frame {
			pcm[2*i], pcm[2*i+1] = left[off+i], right[off+i]
		}
		n, err := pair.encode(pcm, packet)
		if err != nil {
			t.Fatal(err)
		}
		size += n
		got, err := dec.DecodeInt16(packet[:n], out)
		if err != nil {
			t.Fatalf("decode at %d: %v", off, err)
		}
		for i := range got {
			dl, dr = append(dl, out[2*i]), append(dr, out[2*i+1])
		}
	}
	return dl, dr, size, pair.skipped
}

// TestSilenceIsNotEncoded: a party's digital silence and quiet line are
// not run through Opus, decode silent, and the speech after them (loud or
// soft) decodes as well as when every frame is encoded; what one party
// does never changes the other's channel.
func TestSilenceIsNotEncoded(t *testing.T) {
	left, right, spans := callChannels()
	for _, lib := range builtLibraries() {
		t.Run(lib, func(t *testing.T) {
			opt := DefaultEncode
			opt.Library = lib
			every := opt
			every.SilenceDBFS = 0
			_, r1, size1, skipped1 := encodeDecode(t, left, right, every)
			l2, r2, size2, skipped2 := encodeDecode(t, left, right, opt)
			l3, _, _, _ := encodeDecode(t, left, make([]int16, len(right)), opt)
			if skipped1 != [2]int{} {
				t.Errorf("skipping off: %v frames skipped", skipped1)
			}
			frame := 8 * opt.frameMs()
			// The right party's silence and quiet line are 100 frames, the
			// first two of each run encoded; its talk pauses (0.6 s in 3 s,
			// 40 dB down) may add up to 20. The left party pauses 4 times.
			if n := skipped2[1]; n < 100-2*quietHangover || n > 120 {
				t.Errorf("right party: %d frames skipped, want %d–120", n, 100-2*quietHangover)
			}
			if n := skipped2[0]; n < 4*(600/opt.frameMs()-1-quietHangover) || n > 4*600/opt.frameMs() {
				t.Errorf("left party: %d frames skipped, want about %d (its four 0.6 s pauses)", n, 4*600/opt.frameMs())
			}
			if !slices.Equal(l2, l3) {
				t.Error("the left party's decoded audio depends on what the right party said")
			}
			if size2 >= size1 {
				t.Errorf("%d bytes with silence skipped, %d without", size2, size1)
			}
			lag := archivePreSkip / 6
			for name, sp := range spans {
				in := right[sp[0] : sp[1]-lag]
				got, all := r2[sp[0]+lag:sp[1]], r1[sp[0]+lag:sp[1]]
				switch name {
				case "silence", "quiet line":
					if db, want := dbfs(got), max(dbfs(in)+3, -90); db > want {
						t.Errorf("%s (%.1f dBFS) decodes at %.1f dBFS", name, dbfs(in), db)
					}
				default:
					d1, d2 := logSpectralDistance(in, all), logSpectralDistance(in, got)
					if d2 > d1+0.5 {
						t.Errorf("%s: log-spectral distance %.2f dB with silence skipped, %.2f without", name, d2, d1)
					}
					// The onset: the first 200 ms after the silence.
					on := 1600
					if e1, e2 := dbfs(all[:on]), dbfs(got[:on]); math.Abs(e2-e1) > 1.5 {
						t.Errorf("%s: first 200 ms decode at %.1f dBFS with silence skipped, %.1f without", name, e2, e1)
					}
					t.Logf("%s: LSD %.2f dB (every frame encoded: %.2f)", name, d2, d1)
				}
			}
			t.Logf("%v of %d frames skipped; %d bytes, %d with every frame encoded", skipped2, len(left)/frame, size2, size1)
		})
	}
}

func dbfs(x []int16) float64 {
	return 10 * math.Log10(energy(x)/(32768*32768)+1e-12)
}

// TestSilentCallArchive: a call whose right party never speaks (a
// one-sided announcement) still writes a valid archive of full length that
// DecodeToWAV reads; the right channel is silent.
func TestSilentCallArchive(t *testing.T) {
	left := speechLike(4, 500, 1500)
	pcm := make([]byte, 4*len(left))
	for i, v := range left {
		binary.LittleEndian.PutUint16(pcm[4*i:], uint16(v))
	}
	var ogg bytes.Buffer
	if err := EncodePCM(bytes.NewReader(pcm), &ogg, DefaultEncode); err != nil {
		t.Fatal(err)
	}
	n, _, r := decodeArchive(t, ogg.Bytes())
	if want := int64(len(left) - archivePreSkip/6); n < want {
		t.Fatalf("decoded %d samples, want ≥ %d", n, want)
	}
	if db := dbfs(r); db > -80 {
		t.Errorf("the silent party decodes at %.1f dBFS", db)
	}
}
