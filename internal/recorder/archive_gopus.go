package recorder

import (
	"fmt"

	"github.com/thesyncim/gopus"

	"callrec/internal/media"
)

// gopusEncoder is the pure-Go Opus encoder of one party: no C toolchain
// needed; as fast as Debian's libopus at 20 ms frames, slower at 60 ms
// (bench/encoder.sh).
type gopusEncoder struct{ e *gopus.Encoder }

func newGopusEncoder(opt EncodeOptions) (monoEncoder, error) {
	e, err := gopus.NewEncoder(gopus.EncoderConfig{SampleRate: media.Rate, Channels: 1, Application: gopus.ApplicationVoIP})
	if err != nil {
		return nil, fmt.Errorf("recorder: opus encoder: %w", err)
	}
	if err := e.SetBitrate(opt.Bitrate / 2); err != nil {
		return nil, fmt.Errorf("recorder: opus bitrate: %w", err)
	}
	if err := e.SetComplexity(opt.Complexity); err != nil {
		return nil, fmt.Errorf("recorder: opus complexity: %w", err)
	}
	if err := e.SetFrameSize(media.Rate * opt.frameMs() / 1000); err != nil {
		return nil, fmt.Errorf("recorder: opus frame size: %w", err)
	}
	return gopusEncoder{e}, nil
}

func (g gopusEncoder) encode(pcm []int16, packet []byte) (int, error) {
	return g.e.EncodeInt16(pcm, packet)
}

func (gopusEncoder) close() {}
