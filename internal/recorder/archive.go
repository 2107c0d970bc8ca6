package recorder

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/thesyncim/gopus"
	"github.com/thesyncim/gopus/container/ogg"

	"callrec/internal/media"
)

// Archive settings: Opus, 8 kHz, two uncoupled mono streams (Ogg channel
// mapping family 1) so that each party keeps a channel of its own — a
// coupled stereo stream at this rate collapses towards mono. DefaultEncode
// (archive_gopus_default.go, archive_libopus.go) picks the library, bitrate,
// frame length and complexity; docs/benchmarks.md "Archive encoder" has the
// measurements behind them.
const (
	// archivePreSkip is the decoder delay to drop, at 48 kHz (RFC 7845's
	// recommended 3.25 ms plus SILK's look-ahead at 8 kHz).
	archivePreSkip = 312
)

// Opus implementations the archive can be encoded with. Both write the same
// bitstream into the same Ogg container and DecodeToWAV reads either.
const (
	// LibGopus is the pure-Go encoder (github.com/thesyncim/gopus), always built.
	LibGopus = "gopus"
	// LibOpus is the C libopus through cgo, built only with -tags libopus.
	LibOpus = "libopus"
)

// ErrLibraryNotBuilt is returned for an encoder this binary was built without.
var ErrLibraryNotBuilt = errors.New("recorder: opus library not in this build")

// EncodeOptions tune the archive encoder (benchmarks vary them).
type EncodeOptions struct {
	// Library is LibGopus or LibOpus; empty means LibGopus.
	Library string
	// Bitrate is for both channels together, in bit/s.
	Bitrate    int
	Complexity int
	// FrameMs is the Opus frame length: 20, 40 or 60 ms; 0 means 20.
	// Longer frames cost less CPU and fewer header bytes per second.
	FrameMs int
	// SilenceDBFS is the level (RMS, dB against full scale) at or below
	// which a party's frame is silence and is not encoded (streamPair);
	// 0 encodes every frame.
	SilenceDBFS float64
}

// DefaultSilenceDBFS is the silence level of DefaultEncode: -60 dBFS is
// below a quiet line's noise (G.711 idle ≈ -70 dBFS) and 25 dB or more
// under the quietest speech an agent's headset sends, so only a muted,
// held or idle party is skipped, never a soft word.
const DefaultSilenceDBFS = -60

func (o EncodeOptions) frameMs() int {
	if o.FrameMs == 0 {
		return 20
	}
	return o.FrameMs
}

func newPacketEncoder(opt EncodeOptions) (*streamPair, error) {
	switch opt.frameMs() {
	case 20, 40, 60:
	default:
		return nil, fmt.Errorf("recorder: opus frame of %d ms: want 20, 40 or 60", opt.FrameMs)
	}
	if opt.Complexity < 0 || opt.Complexity > 10 {
		return nil, fmt.Errorf("recorder: opus complexity %d: want 0..10", opt.Complexity)
	}
	if opt.Bitrate < 2*6000 || opt.Bitrate > 2*64000 {
		return nil, fmt.Errorf("recorder: opus bitrate %d: want 12000..128000 for both channels", opt.Bitrate)
	}
	if opt.SilenceDBFS > 0 {
		return nil, fmt.Errorf("recorder: silence level %g dBFS: want below 0, or 0 for none", opt.SilenceDBFS)
	}
	switch opt.Library {
	case LibGopus, "":
		return newStreamPair(opt, newGopusEncoder)
	case LibOpus:
		return newStreamPair(opt, newLibopusEncoder)
	}
	return nil, fmt.Errorf("recorder: opus library %q: want %q or %q", opt.Library, LibGopus, LibOpus)
}

// EncodeWAV compresses a stereo 8 kHz WAV file (as renderMix writes) to Ogg Opus.
func EncodeWAV(wavPath, outPath string, opt EncodeOptions) error {
	return encodeWAV(wavPath, outPath, opt, nil)
}

// encodeWAV is EncodeWAV with the input optionally wrapped (pacing).
func encodeWAV(wavPath, outPath string, opt EncodeOptions, wrap func(io.Reader) io.Reader) error {
	in, err := os.Open(wavPath)
	if err != nil {
		return fmt.Errorf("recorder: encode: %w", err)
	}
	defer in.Close()
	if _, err := in.Seek(44, io.SeekStart); err != nil {
		return fmt.Errorf("recorder: encode: %w", err)
	}
	out, err := os.Create(outPath)
	if err != nil {
		return fmt.Errorf("recorder: encode: %w", err)
	}
	defer out.Close()
	var pcm io.Reader = bufio.NewReaderSize(in, 64<<10)
	if wrap != nil {
		pcm = wrap(pcm)
	}
	if err := EncodePCM(pcm, out, opt); err != nil {
		return err
	}
	if err := out.Sync(); err != nil {
		return fmt.Errorf("recorder: encode: %w", err)
	}
	return out.Close()
}

// EncodePCM reads interleaved stereo 16-bit little-endian 8 kHz PCM and
// writes Ogg Opus.
func EncodePCM(r io.Reader, w io.Writer, opt EncodeOptions) error {
	enc, err := newPacketEncoder(opt)
	if err != nil {
		return err
	}
	defer enc.close()
	frame := media.Rate * opt.frameMs() / 1000
	// About one Ogg page a second keeps the overhead near 0.1%.
	ow := newOggWriter(w, 2, archivePreSkip, 1000/opt.frameMs())
	raw := make([]byte, frame*4)
	pcm := make([]int16, frame*2)
	packet := make([]byte, 4000)
	for {
		n, err := io.ReadFull(r, raw)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("recorder: encode read: %w", err)
		}
		clear(raw[n:])
		for i := range pcm {
			pcm[i] = int16(binary.LittleEndian.Uint16(raw[2*i:]))
		}
		k, encErr := enc.encode(pcm, packet)
		if encErr != nil {
			return fmt.Errorf("recorder: opus encode: %w", encErr)
		}
		if err := ow.packet(packet[:k], 48*opt.frameMs()); err != nil {
			return err
		}
		if n < len(raw) {
			break
		}
	}
	return ow.close()
}

// oggWriter is a minimal Ogg Opus muxer (RFC 7845) that packs many packets
// per page; the one-packet-per-page writers cost ~11 kbit/s at 20 ms frames,
// more than the audio.
type oggWriter struct {
	w       io.Writer
	serial  uint32
	seq     uint32
	granule uint64
	lacing  []byte
	data    []byte
	packets int
	perPage int
	err     error
}

func newOggWriter(w io.Writer, channels byte, preSkip uint16, packetsPerPage int) *oggWriter {
	o := &oggWriter{w: w, serial: 0x43524543, perPage: packetsPerPage}
	head := make([]byte, 19, 21+channels)
	copy(head, "OpusHead")
	head[8], head[9] = 1, channels
	binary.LittleEndian.PutUint16(head[10:], preSkip)
	binary.LittleEndian.PutUint32(head[12:], media.Rate)
	// Mapping family 1: one uncoupled stream per channel.
	head[18] = 1
	head = append(head, channels, 0)
	for c := byte(0); c < channels; c++ {
		head = append(head, c)
	}
	o.page([][]byte{head}, 2, 0)
	tags := append([]byte("OpusTags"), 7, 0, 0, 0)
	tags = append(append(tags, "callrec"...), 0, 0, 0, 0)
	o.page([][]byte{tags}, 0, 0)
	return o
}

// page writes one page holding whole packets.
func (o *oggWriter) page(packets [][]byte, flags byte, granule uint64) {
	if o.err != nil {
		return
	}
	var lacing, data []byte
	for _, p := range packets {
		n := len(p)
		for n >= 255 {
			lacing = append(lacing, 255)
			n -= 255
		}
		lacing = append(lacing, byte(n))
		data = append(data, p...)
	}
	o.writePage(lacing, data, flags, granule)
}

func (o *oggWriter) writePage(lacing, data []byte, flags byte, granule uint64) {
	h := make([]byte, 27, 27+len(lacing)+len(data))
	copy(h, "OggS")
	h[5] = flags
	binary.LittleEndian.PutUint64(h[6:], granule)
	binary.LittleEndian.PutUint32(h[14:], o.serial)
	binary.LittleEndian.PutUint32(h[18:], o.seq)
	h[26] = byte(len(lacing))
	page := append(append(h, lacing...), data...)
	binary.LittleEndian.PutUint32(page[22:], oggCRCSum(page))
	o.seq++
	_, o.err = o.w.Write(page)
}

// oggCRCSum is Ogg's CRC-32: polynomial 0x04c11db7, not reflected, zero init.
func oggCRCSum(b []byte) uint32 {
	var crc uint32
	for _, x := range b {
		crc = (crc << 8) ^ oggCRCTable[byte(crc>>24)^x]
	}
	return crc
}

var oggCRCTable = func() (t [256]uint32) {
	for i := range t {
		r := uint32(i) << 24
		for k := 0; k < 8; k++ {
			if r&0x80000000 != 0 {
				r = r<<1 ^ 0x04c11db7
			} else {
				r <<= 1
			}
		}
		t[i] = r
	}
	return t
}()

func (o *oggWriter) packet(p []byte, samples48k int) error {
	if len(o.lacing)+len(p)/255+1 > 255 {
		o.flush(0)
	}
	n := len(p)
	for n >= 255 {
		o.lacing = append(o.lacing, 255)
		n -= 255
	}
	o.lacing = append(o.lacing, byte(n))
	o.data = append(o.data, p...)
	o.granule += uint64(samples48k)
	o.packets++
	if o.packets >= o.perPage {
		o.flush(0)
	}
	return o.err
}

func (o *oggWriter) flush(flags byte) {
	if len(o.lacing) == 0 && flags == 0 {
		return
	}
	o.writePage(o.lacing, o.data, flags, o.granule)
	o.lacing, o.data, o.packets = o.lacing[:0], o.data[:0], 0
}

func (o *oggWriter) close() error {
	o.flush(4)
	if o.err != nil {
		return fmt.Errorf("recorder: ogg write: %w", o.err)
	}
	return nil
}

// DecodeToWAV turns an Ogg Opus recording back into a stereo 8 kHz WAV
// (the API's ?format=wav, and tests).
func DecodeToWAV(r io.Reader, w io.WriteSeeker) (samples int64, err error) {
	or, err := ogg.NewReader(r)
	if err != nil {
		return 0, fmt.Errorf("recorder: ogg: %w", err)
	}
	dec, err := gopus.NewMultistreamDecoder(media.Rate, 2, 2, 0, []byte{0, 1})
	if err != nil {
		return 0, fmt.Errorf("recorder: opus decoder: %w", err)
	}
	if _, err := w.Write(wavHeader(0, 2)); err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	pcm := make([]int16, media.Rate*120/1000*2)
	skip := int64(or.PreSkip()) * media.Rate / 48000
	buf := make([]byte, 4*len(pcm))
	for {
		p, _, err := or.ReadPacket()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return samples, fmt.Errorf("recorder: ogg read: %w", err)
		}
		n, err := dec.DecodeInt16(p, pcm)
		if err != nil {
			return samples, fmt.Errorf("recorder: opus decode: %w", err)
		}
		start := 0
		if skip > 0 {
			start = int(min(skip, int64(n)))
			skip -= int64(start)
		}
		k := 0
		for _, s := range pcm[2*start : 2*n] {
			binary.LittleEndian.PutUint16(buf[k:], uint16(s))
			k += 2
		}
		if _, err := bw.Write(buf[:k]); err != nil {
			return samples, err
		}
		samples += int64(n - start)
	}
	if err := bw.Flush(); err != nil {
		return samples, err
	}
	if _, err := w.Seek(0, io.SeekStart); err != nil {
		return samples, err
	}
	_, err = w.Write(wavHeader(samples, 2))
	return samples, err
}
