package siprecload

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"callrec/internal/media"
)

// Source yields 8 kHz samples for a stream from sample index start.
type Source func(out []int16, start int64)

// ToneSource is a sine at freq Hz.
func ToneSource(freq float64) Source {
	return func(out []int16, start int64) { media.Tone(out, freq, media.Rate, 8000, start) }
}

// PCMSource loops over samples (an audio file's channel).
func PCMSource(samples []int16) Source {
	return func(out []int16, start int64) {
		for i := range out {
			out[i] = samples[(start+int64(i))%int64(len(samples))]
		}
	}
}

// Flow is one RTP stream sent as 20 ms G.711 µ-law packets.
type Flow struct {
	To     netip.AddrPort
	Src    Source
	pt     byte
	ssrc   uint32
	seq    uint16
	ts     uint32
	pos    int64
	next   time.Time
	paused atomic.Bool
	pcm    [160]int16
	pkt    [172]byte
}

// NewFlow starts a PCMU flow to dst.
func NewFlow(dst netip.AddrPort, src Source) *Flow {
	return &Flow{To: dst, Src: src, pt: 0, ssrc: rand.Uint32(), seq: uint16(rand.Uint32()), ts: rand.Uint32()}
}

// SetPaused stops sending (the source keeps its place, so audio resumes
// where the pause would have been).
func (f *Flow) SetPaused(p bool) { f.paused.Store(p) }

func (f *Flow) packet() []byte {
	f.Src(f.pcm[:], f.pos)
	p := f.pkt[:]
	p[0], p[1] = 0x80, f.pt
	binary.BigEndian.PutUint16(p[2:], f.seq)
	binary.BigEndian.PutUint32(p[4:], f.ts)
	binary.BigEndian.PutUint32(p[8:], f.ssrc)
	for i, s := range f.pcm {
		p[12+i] = media.EncodeULaw(s)
	}
	return p
}

func (f *Flow) advance() {
	f.seq++
	f.ts += 160
	f.pos += 160
	f.next = f.next.Add(20 * time.Millisecond)
}

// Pacer sends every registered flow's packets on time from one socket and
// one goroutine: per-packet goroutine hand-offs would cost more than the
// sends (reference/performance-anchors.md).
type Pacer struct {
	conn  *net.UDPConn
	mu    sync.Mutex
	flows map[*Flow]struct{}
	sent  atomic.Int64
	errs  atomic.Int64
}

// NewPacer binds a UDP socket on ip.
func NewPacer(ip string) (*Pacer, error) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		return nil, err
	}
	_ = conn.SetWriteBuffer(4 << 20)
	return &Pacer{conn: conn, flows: map[*Flow]struct{}{}}, nil
}

// Add starts sending f now.
func (p *Pacer) Add(f *Flow) {
	f.next = time.Now()
	p.mu.Lock()
	p.flows[f] = struct{}{}
	p.mu.Unlock()
}

// Remove stops sending f.
func (p *Pacer) Remove(f *Flow) {
	p.mu.Lock()
	delete(p.flows, f)
	p.mu.Unlock()
}

// Sent is the number of packets sent.
func (p *Pacer) Sent() int64 { return p.sent.Load() }

// Run sends until ctx ends, catching up if a tick came late so that every
// flow keeps 50 packets a second.
func (p *Pacer) Run(ctx context.Context) {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	defer p.conn.Close()
	var due []*Flow
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		due = due[:0]
		p.mu.Lock()
		for f := range p.flows {
			if !f.next.After(now) {
				due = append(due, f)
			}
		}
		p.mu.Unlock()
		for _, f := range due {
			for !f.next.After(now) {
				if !f.paused.Load() {
					if _, err := p.conn.WriteToUDPAddrPort(f.packet(), f.To); err != nil {
						p.errs.Add(1)
					} else {
						p.sent.Add(1)
					}
				}
				f.advance()
			}
		}
	}
}
