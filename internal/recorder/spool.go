package recorder

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"callrec/internal/media"
	"callrec/internal/store"
)

// A call's spool directory holds:
//
//	call.json        the call row as inserted, so recovery needs no database
//	end.json         written when the call ends (absent after a crash)
//	tNN-S.pcm        one sparse track per stream, S = 0 (recorded party) or 1
//	mix.wav          the stereo recording, rendered at the end
//	archive.opus     the compressed recording, until it is uploaded
const (
	callFile    = "call.json"
	endFile     = "end.json"
	mixFile     = "mix.wav"
	archiveFile = "archive.opus"
)

// meta is what end.json says about how and when the call ended.
type meta struct {
	Ended     *time.Time `json:"ended"`
	State     string     `json:"state"`
	EndReason string     `json:"end_reason"`
	Samples   int64      `json:"samples"`
	RowDone   bool       `json:"row_done"` // the call row has the end
	// Media is what the streams received (nil after a crash: the
	// counters were in memory).
	Media *store.CallMedia `json:"media,omitempty"`
}

func trackName(idx, side int) string { return fmt.Sprintf("t%02d-%d.pcm", idx, side) }

func writeMeta(s *session) error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("recorder: spool dir: %w", err)
	}
	return writeJSONFile(filepath.Join(s.dir, callFile), s.call, true)
}

func finishMeta(dir string, m meta) error { return writeJSONFile(filepath.Join(dir, endFile), m, true) }

// markRowDone notes that the row has the end; not synced, since losing the
// note only repeats an idempotent update.
func markRowDone(dir string, m meta) error {
	m.RowDone = true
	return writeJSONFile(filepath.Join(dir, endFile), m, false)
}

// writeJSONFile replaces a file atomically, and with sync durably.
func writeJSONFile(path string, v any, sync bool) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("recorder: %w", err)
	}
	_, err = f.Write(b)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("recorder: write %s: %w", filepath.Base(path), err)
	}
	return os.Rename(tmp, path)
}

func readJSONFile(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func readCall(dir string) (store.Call, error) {
	var c store.Call
	err := readJSONFile(filepath.Join(dir, callFile), &c)
	return c, err
}

func removeSpool(dir string) { _ = os.RemoveAll(dir) }

// tracks lists a spool's track files and their sides.
func tracks(dir string) (paths []string, sides []int, longest int64, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, 0, err
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".pcm") || len(name) < 7 {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, nil, 0, err
		}
		paths = append(paths, filepath.Join(dir, name))
		sides = append(sides, int(name[len(name)-5]-'0'))
		longest = max(longest, info.Size()/2)
	}
	return paths, sides, longest, nil
}

// renderMix writes the stereo WAV: the recorded party's tracks summed on
// the left, everyone else's on the right, samples long.
func renderMix(dir string, samples int64) error {
	paths, sides, _, err := tracks(dir)
	if err != nil {
		return fmt.Errorf("recorder: mix: %w", err)
	}
	files := make([]*os.File, len(paths))
	for i, p := range paths {
		if files[i], err = os.Open(p); err != nil {
			return fmt.Errorf("recorder: mix: %w", err)
		}
		defer files[i].Close()
	}
	tmp := filepath.Join(dir, mixFile+".tmp")
	out, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("recorder: mix: %w", err)
	}
	defer out.Close()
	if _, err := out.Write(wavHeader(samples, 2)); err != nil {
		return fmt.Errorf("recorder: mix: %w", err)
	}
	const chunk = media.Rate
	in := make([]byte, 2*chunk)
	acc := make([]int32, 2*chunk)
	buf := make([]byte, 4*chunk)
	for pos := int64(0); pos < samples; pos += chunk {
		n := int(min(chunk, samples-pos))
		clear(acc[:2*n])
		for i, f := range files {
			k, err := f.ReadAt(in[:2*n], 2*pos)
			if err != nil && err != io.EOF {
				return fmt.Errorf("recorder: mix read: %w", err)
			}
			for j := 0; j < k/2; j++ {
				acc[2*j+min(sides[i], 1)] += int32(int16(binary.LittleEndian.Uint16(in[2*j:])))
			}
		}
		for j := 0; j < 2*n; j++ {
			binary.LittleEndian.PutUint16(buf[2*j:], uint16(int16(max(min(acc[j], 32767), -32768))))
		}
		if _, err := out.Write(buf[:4*n]); err != nil {
			return fmt.Errorf("recorder: mix write: %w", err)
		}
	}
	if err := silencePauses(dir, out, samples); err != nil {
		return err
	}
	// Not synced: the mix is derived from the tracks, and finish renders it
	// again if a crash left it short (mixComplete).
	if err := out.Close(); err != nil {
		return fmt.Errorf("recorder: mix: %w", err)
	}
	return os.Rename(tmp, filepath.Join(dir, mixFile))
}

// wavHeader is a 44-byte PCM WAV header for 16-bit samples at 8 kHz.
func wavHeader(samples int64, channels int) []byte {
	data := uint32(samples * int64(channels) * 2)
	h := make([]byte, 44)
	copy(h, "RIFF")
	binary.LittleEndian.PutUint32(h[4:], 36+data)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1)
	binary.LittleEndian.PutUint16(h[22:], uint16(channels))
	binary.LittleEndian.PutUint32(h[24:], media.Rate)
	binary.LittleEndian.PutUint32(h[28:], uint32(media.Rate*channels*2))
	binary.LittleEndian.PutUint16(h[32:], uint16(channels*2))
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], data)
	return h
}

// mixComplete reports whether the spool's mix is whole for samples.
func mixComplete(dir string, samples int64) bool {
	st, err := os.Stat(filepath.Join(dir, mixFile))
	return err == nil && st.Size() == 44+4*samples
}
