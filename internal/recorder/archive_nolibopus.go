//go:build !libopus

package recorder

// DefaultEncode is what the recorder uses. This build has only the pure-Go
// encoder; production builds use -tags libopus (archive_libopus.go), the
// only one that meets the CPU target (docs/recorder.md "Archive encoder").
var DefaultEncode = EncodeOptions{Library: LibGopus, Bitrate: ArchiveBitrate, Complexity: 5, FrameMs: 20}

func newLibopusEncoder(EncodeOptions) (packetEncoder, error) {
	return nil, ErrLibraryNotBuilt
}
