package media

import (
	"encoding/binary"
	"fmt"
	"os"
	"sync"
)

// Track is one stream's spool file: raw 16-bit little-endian PCM at 8 kHz
// whose byte offset is the sample's position on the call's timeline, so
// that silence (gaps, pauses, late starts) is a hole that reads as zeros.
// Samples are buffered and written in order at most every FlushEvery; a
// short jitter window is kept back so that reordered packets still land in
// the buffer rather than behind it.
type Track struct {
	mu      sync.Mutex
	f       *os.File
	base    int64   // timeline position of buf[0]
	buf     []int16 // samples not yet written
	filled  []bool  // which buf samples hold audio (false: a hole so far)
	written int64   // end of what is on disk, in samples
	late    int64
	scratch []byte
	tap     func(pos int64, samples []int16)
}

// SetTap has fn see every block of samples Put places, as it is placed
// (live monitoring); fn must not keep samples and must not block.
func (t *Track) SetTap(fn func(pos int64, samples []int16)) {
	t.mu.Lock()
	t.tap = fn
	t.mu.Unlock()
}

// JitterWindow is how far behind the newest sample the track keeps
// unwritten, in samples (100 ms).
const JitterWindow = Rate / 10

// OpenTrack creates (or, after a crash, reopens for append) a spool file.
func OpenTrack(path string) (*Track, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("media: open track: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("media: stat track: %w", err)
	}
	end := st.Size() / 2
	return &Track{f: f, base: end, written: end}, nil
}

// Put places samples at a timeline position. Samples older than what is
// already written are dropped and counted as late.
func (t *Track) Put(pos int64, samples []int16) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if pos < t.base {
		skip := t.base - pos
		if skip >= int64(len(samples)) {
			t.late++
			return
		}
		samples, pos = samples[skip:], t.base
	}
	off := int(pos - t.base)
	if need := off + len(samples); need > len(t.buf) {
		if need-len(t.buf) > 60*Rate {
			// A jump of more than a minute is a broken timestamp, not audio.
			t.late++
			return
		}
		t.buf = append(t.buf, make([]int16, need-len(t.buf))...)
		t.filled = append(t.filled, make([]bool, need-len(t.filled))...)
	}
	copy(t.buf[off:], samples)
	for i := range samples {
		t.filled[off+i] = true
	}
	if t.tap != nil {
		t.tap(pos, samples)
	}
}

// Flush writes everything older than the jitter window; with all, everything.
func (t *Track) Flush(all bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(t.buf)
	if !all {
		n -= JitterWindow
	}
	if n <= 0 {
		return nil
	}
	// Trailing holes stay unwritten so a late packet can still fill them
	// until the final flush; leading holes become file holes.
	if !all {
		for n > 0 && !t.filled[n-1] {
			n--
		}
		if n == 0 {
			return nil
		}
	}
	if cap(t.scratch) < 2*n {
		t.scratch = make([]byte, 2*n)
	}
	b := t.scratch[:2*n]
	for i, s := range t.buf[:n] {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	if _, err := t.f.WriteAt(b, 2*t.base); err != nil {
		return fmt.Errorf("media: write track: %w", err)
	}
	t.base += int64(n)
	t.written = t.base
	t.buf = append(t.buf[:0], t.buf[n:]...)
	t.filled = append(t.filled[:0], t.filled[n:]...)
	return nil
}

// Extend makes the track at least end samples long (silence at the end,
// when a stream stopped before the call did).
func (t *Track) Extend(end int64) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if end <= t.written {
		return nil
	}
	if err := t.f.Truncate(2 * end); err != nil {
		return fmt.Errorf("media: extend track: %w", err)
	}
	t.written = end
	return nil
}

// Len is the timeline length the track covers, in samples.
func (t *Track) Len() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.base + int64(len(t.buf))
}

// Late counts packets that arrived after their place was written.
func (t *Track) Late() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.late
}

// Close flushes everything and closes the file.
func (t *Track) Close() error {
	err := t.Flush(true)
	if cerr := t.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("media: close track: %w", cerr)
	}
	return err
}
