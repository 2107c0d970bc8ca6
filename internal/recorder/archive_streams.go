package recorder

import (
	"errors"
	"fmt"
	"math"

	"github.com/thesyncim/gopus"
)

// monoEncoder turns one frame of one party's 8 kHz samples into one Opus
// packet (standard framing, RFC 6716 §3).
type monoEncoder interface {
	encode(pcm []int16, packet []byte) (int, error)
	close()
}

// streamPair is the archive's packet encoder: one mono Opus encoder per
// party, their packets joined into a multistream packet of two uncoupled
// streams (RFC 6716 Appendix B, RFC 7845 §5.1.1). Owning each stream lets
// it skip a party's silence: the first quietHangover frames at or below the
// silence level are encoded, and while the party stays that quiet the last
// of those packets is sent again instead of running Opus, so the decoder
// decodes that silence once more. The second quiet frame is the one
// repeated because the first still carries the end of the speech (39 bytes
// against 14 for digital silence at 10 kbit/s). An empty frame (what Opus's
// own DTX sends) would cost a byte but leaves the decoder concealing a
// loss: measured, the speech after it then decoded 10–20 dB too loud for a
// few hundred milliseconds (TestSilenceIsNotEncoded holds the onset to the
// unskipped level).
type streamPair struct {
	enc   [2]monoEncoder
	frame int
	// silence is the mean square at or below which a frame is silent; 0
	// encodes every frame.
	silence float64
	// quietRun counts each party's quiet frames in a row that were encoded;
	// quiet holds, once quietHangover of them were, the last one's packet.
	quietRun [2]int
	quiet    [2][]byte
	mono     [2][]int16
	packet   [2][]byte
	// skipped counts each party's frames not run through Opus.
	skipped [2]int
}

// quietHangover is how many quiet frames in a row are encoded before the
// last one's packet is repeated.
const quietHangover = 2

// silenceMeanSquare turns a level in dBFS (RMS against full scale 32768)
// into a mean square; 0 dB or above turns skipping off.
func silenceMeanSquare(dbfs float64) float64 {
	if dbfs >= 0 {
		return 0
	}
	rms := 32768 * math.Pow(10, dbfs/20)
	return rms * rms
}

func newStreamPair(opt EncodeOptions, newMono func(EncodeOptions) (monoEncoder, error)) (*streamPair, error) {
	s := &streamPair{frame: 8 * opt.frameMs(), silence: silenceMeanSquare(opt.SilenceDBFS)}
	for ch := range s.enc {
		e, err := newMono(opt)
		if err != nil {
			s.close()
			return nil, err
		}
		s.enc[ch] = e
		s.mono[ch] = make([]int16, s.frame)
		s.packet[ch] = make([]byte, 1500)
	}
	return s, nil
}

func (s *streamPair) close() {
	for _, e := range s.enc {
		if e != nil {
			e.close()
		}
	}
}

// encode takes one frame of interleaved stereo samples and writes one
// multistream packet: party 0's packet self-delimited, then party 1's.
func (s *streamPair) encode(pcm []int16, out []byte) (int, error) {
	if len(pcm) != 2*s.frame {
		return 0, fmt.Errorf("recorder: opus: %d samples, want %d", len(pcm), 2*s.frame)
	}
	var packets [2][]byte
	for ch := range s.enc {
		m := s.mono[ch]
		var sum float64
		for i := range m {
			v := pcm[2*i+ch]
			m[i] = v
			sum += float64(v) * float64(v)
		}
		quiet := s.silence > 0 && sum <= s.silence*float64(len(m))
		if quiet && s.quiet[ch] != nil {
			packets[ch] = s.quiet[ch]
			s.skipped[ch]++
			continue
		}
		n, err := s.enc[ch].encode(m, s.packet[ch])
		if err != nil {
			return 0, err
		}
		packets[ch] = s.packet[ch][:n]
		switch {
		case !quiet:
			s.quiet[ch], s.quietRun[ch] = nil, 0
		case s.quietRun[ch]+1 >= quietHangover:
			s.quiet[ch] = append([]byte(nil), packets[ch]...)
		default:
			s.quietRun[ch]++
		}
	}
	b, err := appendSelfDelimited(out[:0], packets[0])
	if err != nil {
		return 0, err
	}
	if len(b)+len(packets[1]) > len(out) {
		return 0, errors.New("recorder: opus: multistream packet larger than its buffer")
	}
	return len(append(b, packets[1]...)), nil
}

// appendSelfDelimited appends packet p in self-delimiting framing (RFC 6716
// Appendix B): the length of its last frame (of every frame, for equal
// frames) written where a reader of a concatenation needs it. Padding is
// dropped; the archive's encoders write none that carries anything.
func appendSelfDelimited(dst, p []byte) ([]byte, error) {
	info, err := gopus.ParsePacket(p)
	if err != nil {
		return dst, fmt.Errorf("recorder: opus packet: %w", err)
	}
	size := 0
	for _, n := range info.FrameSizes {
		size += n
	}
	end := len(p) - info.Padding
	if info.FrameCount < 1 || size > end-1 {
		return dst, fmt.Errorf("recorder: opus packet: %d frames of %d bytes in %d", info.FrameCount, size, len(p))
	}
	data, toc := p[end-size:end], p[0]&^3
	equal := true
	for _, n := range info.FrameSizes {
		equal = equal && n == info.FrameSizes[0]
	}
	switch {
	case info.FrameCount == 1:
		dst = appendFrameLength(append(dst, toc), size)
	case equal:
		dst = appendFrameLength(append(dst, toc|3, byte(info.FrameCount)), info.FrameSizes[0])
	default:
		dst = append(dst, toc|3, 0x80|byte(info.FrameCount))
		for _, n := range info.FrameSizes {
			dst = appendFrameLength(dst, n)
		}
	}
	return append(dst, data...), nil
}

// appendFrameLength writes an Opus frame length: one byte below 252, else
// two (RFC 6716 §3.2.1).
func appendFrameLength(dst []byte, n int) []byte {
	if n < 252 {
		return append(dst, byte(n))
	}
	first := 252 + n&3
	return append(dst, byte(first), byte((n-first)>>2))
}
