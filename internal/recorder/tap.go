package recorder

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"callrec/internal/media"
	"callrec/internal/store"
)

// Live monitoring taps a call's decoded audio as the streams place it on
// the call's timeline and sends it out in 20 ms stereo frames, left the
// recorded party and right the other side, like the recording.
const (
	// FrameSamples is one channel's samples in a frame (20 ms at 8 kHz).
	FrameSamples = media.Rate / 50
	// FrameBytes is the size of an encoded frame (TapFrame.Encode).
	FrameBytes  = frameHeader + 4*FrameSamples
	frameHeader = 16
	// tapLag is how long a frame waits for both sides' packets before it
	// is sent: a packet later than that is heard as a gap live, but still
	// recorded. Three packet times cover ordinary jitter.
	tapLag = 60 * time.Millisecond
	// tapRing bounds what the tap holds per side (samples).
	tapRing = media.Rate / 2
	// tapQueue is how many frames a slow listener may fall behind before
	// frames are dropped for it (the call never waits for a listener).
	tapQueue = 25
)

// ErrNotLive means this recorder node is not recording the call (it
// ended, or another node holds it).
var ErrNotLive = errors.New("recorder: the call is not live on this node")

// TapFrame is 20 ms of a live call's audio.
type TapFrame struct {
	Pos    int64     // timeline position of the first sample, in samples from the call's start
	At     time.Time // when the recorder received the frame's last sample (the call's clock)
	Paused bool      // recording is paused: the frame is silence
	PCM    [2 * FrameSamples]int16
}

// Encode writes the frame as the wire format the browser's worklet reads:
// byte 0 version (1), byte 1 flags (bit 0 paused), bytes 2–3 samples per
// channel (uint16), 4–7 position (uint32 samples), 8–15 At as Unix
// milliseconds (float64), then the samples interleaved left/right as
// 16-bit PCM, all little-endian.
func (f *TapFrame) Encode() []byte {
	b := make([]byte, FrameBytes)
	b[0] = 1
	if f.Paused {
		b[1] = 1
	}
	binary.LittleEndian.PutUint16(b[2:], FrameSamples)
	binary.LittleEndian.PutUint32(b[4:], uint32(f.Pos))
	binary.LittleEndian.PutUint64(b[8:], math.Float64bits(float64(f.At.UnixNano())/1e6))
	for i, s := range f.PCM {
		binary.LittleEndian.PutUint16(b[frameHeader+2*i:], uint16(s))
	}
	return b
}

// DecodeFrame reads an encoded frame.
func DecodeFrame(b []byte) (TapFrame, error) {
	var f TapFrame
	if len(b) != FrameBytes || b[0] != 1 || binary.LittleEndian.Uint16(b[2:]) != FrameSamples {
		return f, errors.New("recorder: not a live audio frame")
	}
	f.Paused = b[1]&1 != 0
	f.Pos = int64(binary.LittleEndian.Uint32(b[4:]))
	ms := math.Float64frombits(binary.LittleEndian.Uint64(b[8:]))
	f.At = time.Unix(0, int64(ms*1e6))
	for i := range f.PCM {
		f.PCM[i] = int16(binary.LittleEndian.Uint16(b[frameHeader+2*i:]))
	}
	return f, nil
}

// tap collects a session's audio for its listeners. It costs one atomic
// load per packet while nobody listens.
type tap struct {
	on     atomic.Bool
	mu     sync.Mutex
	subs   map[chan *TapFrame]struct{}
	ring   *[2][tapRing]int16
	next   int64 // next timeline position to send
	stop   chan struct{}
	closed bool
}

// feed is the Track tap of one side.
func (t *tap) feed(side int) func(pos int64, samples []int16) {
	side = min(side, 1)
	return func(pos int64, samples []int16) {
		if !t.on.Load() {
			return
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.ring == nil {
			return
		}
		ch := &t.ring[side]
		for i, v := range samples {
			p := pos + int64(i)
			if p < t.next || p >= t.next+tapRing {
				continue
			}
			k := p % tapRing
			ch[k] = int16(max(min(int32(ch[k])+int32(v), math.MaxInt16), math.MinInt16))
		}
	}
}

// Listen subscribes to a live call's audio. The channel is closed when the
// call ends; stop unsubscribes.
func (r *Recorder) Listen(c store.Call) (frames <-chan *TapFrame, stop func(), err error) {
	s := r.sessionOf(c)
	if s == nil || (c.TenantID != "" && s.call.TenantID != c.TenantID) {
		return nil, nil, ErrNotLive
	}
	t := &s.tap
	ch := make(chan *TapFrame, tapQueue)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, nil, ErrNotLive
	}
	if t.subs == nil {
		t.subs = map[chan *TapFrame]struct{}{}
	}
	t.subs[ch] = struct{}{}
	if t.stop == nil {
		t.ring = new([2][tapRing]int16)
		t.next = s.timeline(r.now().Add(-tapLag)) / FrameSamples * FrameSamples
		t.stop = make(chan struct{})
		t.on.Store(true)
		stop := t.stop
		go r.cfg.Guard.Loop(context.Background(), "recorder live tap", func(context.Context) { r.emit(s, stop) })
	}
	return ch, func() { t.unsubscribe(ch) }, nil
}

func (t *tap) unsubscribe(ch chan *TapFrame) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.subs[ch]; !ok {
		return
	}
	delete(t.subs, ch)
	close(ch)
	if len(t.subs) == 0 && t.stop != nil {
		t.on.Store(false)
		close(t.stop)
		t.stop, t.ring = nil, nil
	}
}

// close ends every subscription when the call ends.
func (t *tap) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	t.on.Store(false)
	for ch := range t.subs {
		close(ch)
	}
	t.subs = nil
	if t.stop != nil {
		close(t.stop)
		t.stop, t.ring = nil, nil
	}
}

// timeline is a moment as a position on the session's timeline.
func (s *session) timeline(at time.Time) int64 {
	return int64(at.Sub(s.start)) * media.Rate / int64(time.Second)
}

// emit sends every frame that is tapLag old, each 20 ms, until stop.
func (r *Recorder) emit(s *session, stop <-chan struct{}) {
	tick := time.NewTicker(time.Second / 50)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		due := s.timeline(r.now().Add(-tapLag))
		for s.tap.send(due, s.start, s.held.Load()) {
		}
	}
}

// send cuts and sends the next frame if it is due; false when none is.
func (t *tap) send(due int64, start time.Time, paused bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ring == nil || t.next+FrameSamples > due {
		return false
	}
	f := &TapFrame{Pos: t.next, Paused: paused,
		At: start.Add(time.Duration(t.next+FrameSamples) * time.Second / media.Rate)}
	for i := range FrameSamples {
		k := (t.next + int64(i)) % tapRing
		f.PCM[2*i], f.PCM[2*i+1] = t.ring[0][k], t.ring[1][k]
		t.ring[0][k], t.ring[1][k] = 0, 0
	}
	t.next += FrameSamples
	for ch := range t.subs {
		select {
		case ch <- f:
		default: // a slow listener loses this frame
		}
	}
	return true
}
