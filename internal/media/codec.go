package media

import (
	"encoding/binary"
	"fmt"

	"github.com/thesyncim/gopus"

	"callrec/internal/siprec"
)

// Rate is the sample rate of everything the recorder spools: 8 kHz, the
// telephone band that speech recognition for calls is trained on.
const Rate = 8000

// Decoder turns one RTP payload into 8 kHz samples appended to out.
type Decoder interface {
	Decode(payload []byte, out []int16) []int16
}

// Codec is a negotiated payload format with what is needed to decode it.
type Codec struct {
	Format siprec.Format
	// Div converts RTP timestamp units to 8 kHz samples (RTP clock / 8000).
	Div int
	New func() (Decoder, error)
}

// CodecFor returns the decoder factory for a format the SDP layer accepted.
func CodecFor(f siprec.Format) (Codec, error) {
	c := Codec{Format: f, Div: max(f.ClockRate/Rate, 1)}
	switch f.Name {
	case "pcmu":
		c.New = func() (Decoder, error) { return g711{&ulawTable}, nil }
	case "pcma":
		c.New = func() (Decoder, error) { return g711{&alawTable}, nil }
	case "g722":
		// G.722's RTP clock is 8000 although it samples at 16 kHz (RFC 3551).
		c.Div = 1
		c.New = func() (Decoder, error) { return NewG722Decoder(), nil }
	case "l16":
		c.New = func() (Decoder, error) { return l16Decoder{step: c.Div}, nil }
	case "opus":
		c.New = func() (Decoder, error) { return newOpusDecoder() }
	default:
		return c, fmt.Errorf("media: no decoder for %s/%d", f.Name, f.ClockRate)
	}
	return c, nil
}

// g711 decodes µ-law or A-law by table.
type g711 struct{ t *[256]int16 }

func (g g711) Decode(p []byte, out []int16) []int16 {
	for _, b := range p {
		out = append(out, g.t[b])
	}
	return out
}

// l16Decoder reads big-endian 16-bit samples and, above 8 kHz, averages
// each group of step samples: a box filter, enough to keep speech intelligible
// without aliasing most of the band back in.
type l16Decoder struct{ step int }

func (d l16Decoder) Decode(p []byte, out []int16) []int16 {
	step := max(d.step, 1)
	for i := 0; i+2*step <= len(p); i += 2 * step {
		sum := 0
		for k := 0; k < step; k++ {
			sum += int(int16(binary.BigEndian.Uint16(p[i+2*k:])))
		}
		out = append(out, int16(sum/step))
	}
	return out
}

type opusDecoder struct {
	d   *gopus.Decoder
	buf []int16
}

func newOpusDecoder() (Decoder, error) {
	d, err := gopus.NewDecoder(gopus.DefaultDecoderConfig(Rate, 1))
	if err != nil {
		return nil, fmt.Errorf("media: opus decoder: %w", err)
	}
	return &opusDecoder{d: d, buf: make([]int16, Rate*120/1000)}, nil
}

func (o *opusDecoder) Decode(p []byte, out []int16) []int16 {
	n, err := o.d.DecodeInt16(p, o.buf)
	if err != nil {
		return out
	}
	return append(out, o.buf[:n]...)
}
