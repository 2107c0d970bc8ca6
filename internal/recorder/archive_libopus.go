//go:build libopus

package recorder

/*
#cgo LDFLAGS: -lopus
#include <opus/opus_multistream.h>

// opus_multistream_encoder_ctl is variadic, which cgo cannot call.
static int ms_ctl(OpusMSEncoder *e, int request, opus_int32 value) {
	return opus_multistream_encoder_ctl(e, request, value);
}
*/
import "C"

import (
	"fmt"
	"unsafe"

	"callrec/internal/media"
)

// DefaultEncode is what the recorder uses: libopus in 60 ms frames at
// complexity 0 and 10 kbit/s a channel, the cheapest setting measured at the
// quality of gopus complexity 5 (README "Archive encoder"); libopus pays per
// packet, so 60 ms frames matter more to it than to gopus.
var DefaultEncode = EncodeOptions{Library: LibOpus, Bitrate: 20000, Complexity: 0, FrameMs: 60}

// libopusEncoder is libopus's multistream encoder. No Go binding offers
// the multistream API (hraban/opus lists it as a non-goal), and four C
// functions are all the archive needs.
type libopusEncoder struct {
	e     *C.OpusMSEncoder
	frame int
}

func newLibopusEncoder(opt EncodeOptions) (packetEncoder, error) {
	mapping := [2]C.uchar{0, 1}
	var errc C.int
	e := C.opus_multistream_encoder_create(C.opus_int32(media.Rate), 2, 2, 0, &mapping[0], C.OPUS_APPLICATION_VOIP, &errc)
	if errc != C.OPUS_OK || e == nil {
		return nil, fmt.Errorf("recorder: libopus encoder: %s", C.GoString(C.opus_strerror(errc)))
	}
	l := &libopusEncoder{e: e, frame: media.Rate * opt.frameMs() / 1000}
	for _, ctl := range []struct {
		name string
		req  C.int
		v    int
	}{
		{"bitrate", C.OPUS_SET_BITRATE_REQUEST, opt.Bitrate},
		{"complexity", C.OPUS_SET_COMPLEXITY_REQUEST, opt.Complexity},
	} {
		if rc := C.ms_ctl(e, ctl.req, C.opus_int32(ctl.v)); rc != C.OPUS_OK {
			l.close()
			return nil, fmt.Errorf("recorder: libopus %s %d: %s", ctl.name, ctl.v, C.GoString(C.opus_strerror(rc)))
		}
	}
	return l, nil
}

func (l *libopusEncoder) encode(pcm []int16, packet []byte) (int, error) {
	if len(pcm) != 2*l.frame {
		return 0, fmt.Errorf("recorder: libopus: %d samples, want %d", len(pcm), 2*l.frame)
	}
	n := C.opus_multistream_encode(l.e, (*C.opus_int16)(unsafe.Pointer(&pcm[0])), C.int(l.frame),
		(*C.uchar)(unsafe.Pointer(&packet[0])), C.opus_int32(len(packet)))
	if n < 0 {
		return 0, fmt.Errorf("recorder: libopus: %s", C.GoString(C.opus_strerror(n)))
	}
	return int(n), nil
}

func (l *libopusEncoder) close() {
	if l.e != nil {
		C.opus_multistream_encoder_destroy(l.e)
		l.e = nil
	}
}
