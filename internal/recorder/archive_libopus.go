//go:build libopus

package recorder

import (
	"fmt"

	opus "gopkg.in/hraban/opus.v2"

	"callrec/internal/media"
)

// DefaultEncode is what the recorder uses: libopus in 60 ms frames at
// complexity 0 and 10 kbit/s a channel, the cheapest setting measured at the
// quality of gopus complexity 5 (README "Archive encoder"); libopus pays per
// packet, so 60 ms frames matter more to it than to gopus. A party's
// silence below DefaultSilenceDBFS is not encoded (streamPair).
var DefaultEncode = EncodeOptions{Library: LibOpus, Bitrate: 20000, Complexity: 0, FrameMs: 60, SilenceDBFS: DefaultSilenceDBFS}

// libopusEncoder is libopus's encoder of one party, through hraban/opus,
// the maintained Go binding of libopus (it needs libopus-dev and
// libopusfile-dev).
type libopusEncoder struct{ e *opus.Encoder }

func newLibopusEncoder(opt EncodeOptions) (monoEncoder, error) {
	e, err := opus.NewEncoder(media.Rate, 1, opus.AppVoIP)
	if err != nil {
		return nil, fmt.Errorf("recorder: libopus encoder: %w", err)
	}
	if err := e.SetBitrate(opt.Bitrate / 2); err != nil {
		return nil, fmt.Errorf("recorder: libopus bitrate %d: %w", opt.Bitrate/2, err)
	}
	if err := e.SetComplexity(opt.Complexity); err != nil {
		return nil, fmt.Errorf("recorder: libopus complexity %d: %w", opt.Complexity, err)
	}
	return libopusEncoder{e}, nil
}

func (l libopusEncoder) encode(pcm []int16, packet []byte) (int, error) {
	return l.e.Encode(pcm, packet)
}

func (libopusEncoder) close() {}
