//go:build !libopus

package recorder

// DefaultEncode is what the recorder uses. This build has only the pure-Go
// encoder: 60 ms frames at complexity 0 and 9.5 kbit/s a channel match
// complexity 5 at 8 kbit/s in 20 ms frames (LSD and WER) for 40% less CPU,
// and stay under 7.5 MB per stereo hour of continuous speech. It still costs
// about 7 CPU-s per channel-hour, over the 4 of the target; production builds
// use -tags libopus (archive_libopus.go). A party's silence below
// DefaultSilenceDBFS is not encoded (streamPair).
var DefaultEncode = EncodeOptions{Library: LibGopus, Bitrate: 19000, Complexity: 0, FrameMs: 60, SilenceDBFS: DefaultSilenceDBFS}

func newLibopusEncoder(EncodeOptions) (monoEncoder, error) {
	return nil, ErrLibraryNotBuilt
}
