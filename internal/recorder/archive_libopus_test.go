//go:build libopus

package recorder

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	opus "gopkg.in/hraban/opus.v2"
)

// TestArchiveReadByOpusfile: the archive, silence skipping included, is
// read by libopusfile (Xiph's reference Ogg Opus reader, what players
// and converters link), not only by the gopus decoder the portal uses:
// full length, each party's speech at its level, the silences silent.
func TestArchiveReadByOpusfile(t *testing.T) {
	left, right, spans := callChannels()
	pcm := make([]byte, 4*len(left))
	for i := range left {
		binary.LittleEndian.PutUint16(pcm[4*i:], uint16(left[i]))
		binary.LittleEndian.PutUint16(pcm[4*i+2:], uint16(right[i]))
	}
	var ogg bytes.Buffer
	if err := EncodePCM(bytes.NewReader(pcm), &ogg, DefaultEncode); err != nil {
		t.Fatal(err)
	}
	s, err := opus.NewStream(bytes.NewReader(ogg.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// opusfile decodes at 48 kHz; keep every sixth sample of each channel.
	var dl, dr []int16
	buf := make([]int16, 2*5760)
	for i := 0; ; {
		n, err := s.Read(buf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for k := range n {
			if i%6 == 0 {
				dl, dr = append(dl, buf[2*k]), append(dr, buf[2*k+1])
			}
			i++
		}
	}
	if want := len(left) - 80; len(dl) < want || len(dl) > len(left)+480 {
		t.Fatalf("opusfile read %d samples a channel, want %d", len(dl), len(left))
	}
	if r := energy(dl) / energy(left); r < 0.5 || r > 2 {
		t.Errorf("left party at %.2f× its energy", r)
	}
	for name, sp := range spans {
		in, got := right[sp[0]:sp[1]-80], dr[sp[0]+80:sp[1]]
		switch name {
		case "silence", "quiet line":
			// opusfile dithers its 16-bit output (about -83 dBFS).
			if db := dbfs(got); db > max(dbfs(in)+3, -80) {
				t.Errorf("%s (%.1f dBFS) read at %.1f dBFS", name, dbfs(in), db)
			}
		default:
			if r := energy(got) / energy(in); r < 0.5 || r > 2 {
				t.Errorf("%s read at %.2f× its energy", name, r)
			}
		}
	}
}
