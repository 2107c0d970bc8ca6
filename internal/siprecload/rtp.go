package siprecload

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/srtp/v3"
	"golang.org/x/net/ipv4"

	"callrec/internal/media"
	"callrec/internal/siprec"
)

// Source is a stream's audio, µ-law encoded once and sent in a loop, so
// that a packet costs a copy rather than 160 sample encodings.
type Source struct{ ulaw []byte }

// ToneSource is a sine at freq Hz (one second looped: exact for whole Hz).
func ToneSource(freq float64) Source {
	pcm := make([]int16, media.Rate)
	media.Tone(pcm, freq, media.Rate, 8000, 0)
	return PCMSource(pcm)
}

// PCMSource loops over samples (an audio file's channel).
func PCMSource(samples []int16) Source {
	b := make([]byte, len(samples))
	for i, v := range samples {
		b[i] = media.EncodeULaw(v)
	}
	return Source{ulaw: b}
}

// Flow is one RTP stream sent as 20 ms G.711 µ-law packets, SRTP when
// Encrypt gave it a key.
type Flow struct {
	To     netip.AddrPort
	Src    Source
	udp    *net.UDPAddr
	pt     byte
	ssrc   uint32
	seq    uint16
	ts     uint32
	pos    int
	next   time.Time
	paused atomic.Bool
	pkt    [172]byte
	srtp   *srtp.Context
	wire   []byte // pkt encrypted
}

// NewFlow starts a PCMU flow to dst.
func NewFlow(dst netip.AddrPort, src Source) *Flow {
	return &Flow{To: dst, Src: src, udp: net.UDPAddrFromAddrPort(dst), pt: 0, ssrc: rand.Uint32(), seq: uint16(rand.Uint32()), ts: rand.Uint32()}
}

// Encrypt sends the flow as SRTP under c (the offer's Stream.Crypto).
func (f *Flow) Encrypt(c siprec.Crypto) error {
	suite, ok := siprec.SuiteNamed(c.Suite)
	profile, known := media.SRTPProfile(c.Suite)
	if !ok || !known || len(c.Key) != suite.KeyLen+suite.SaltLen {
		return fmt.Errorf("siprecload: SRTP suite %s or its key not usable", c.Suite)
	}
	var opts []srtp.ContextOption
	if c.MKI != nil {
		opts = append(opts, srtp.MasterKeyIndicator(c.MKI))
	}
	ctx, err := srtp.CreateContext(c.Key[:suite.KeyLen], c.Key[suite.KeyLen:], profile, opts...)
	if err != nil {
		return fmt.Errorf("siprecload: SRTP: %w", err)
	}
	f.srtp, f.wire = ctx, make([]byte, 0, maxPacket)
	return nil
}

// maxPacket holds a 172-byte RTP packet with the largest SRTP trailer
// (MKI and a 16-byte tag).
const maxPacket = 172 + 16 + 128

// SetPaused stops sending (the source keeps its place, so audio resumes
// where the pause would have been).
func (f *Flow) SetPaused(p bool) { f.paused.Store(p) }

// packet writes the next packet into f.pkt (SRTP: f.wire); it stays
// valid until advance.
func (f *Flow) packet() []byte {
	p := f.pkt[:]
	p[0], p[1] = 0x80, f.pt
	binary.BigEndian.PutUint16(p[2:], f.seq)
	binary.BigEndian.PutUint32(p[4:], f.ts)
	binary.BigEndian.PutUint32(p[8:], f.ssrc)
	loop := f.Src.ulaw
	for n := 12; n < len(p); {
		k := copy(p[n:], loop[f.pos%len(loop):])
		n += k
		f.pos = (f.pos + k) % len(loop)
	}
	if f.srtp != nil {
		w, err := f.srtp.EncryptRTP(f.wire[:0], p, nil)
		if err != nil {
			return nil
		}
		return w
	}
	return p
}

// unlessPaused is the next packet, or nil while paused.
func (f *Flow) unlessPaused() []byte {
	if f.paused.Load() {
		return nil
	}
	return f.packet()
}

func (f *Flow) advance() {
	f.seq++
	f.ts += 160
	f.next = f.next.Add(20 * time.Millisecond)
}

// Pacer sends every registered flow's packets on time from one socket and
// one goroutine, many packets per sendmmsg: per-packet goroutine hand-offs
// and syscalls would cost more than the sends (reference/performance-anchors.md),
// and the load generator shares the machine with the recorder it measures.
type Pacer struct {
	conn  *net.UDPConn
	batch *ipv4.PacketConn
	mu    sync.Mutex
	flows []*Flow
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
	return &Pacer{conn: conn, batch: ipv4.NewPacketConn(conn)}, nil
}

// Add starts sending f now.
func (p *Pacer) Add(f *Flow) {
	f.next = time.Now()
	p.mu.Lock()
	p.flows = append(p.flows, f)
	p.mu.Unlock()
}

// Remove stops sending f.
func (p *Pacer) Remove(f *Flow) {
	p.mu.Lock()
	if i := slices.Index(p.flows, f); i >= 0 {
		last := len(p.flows) - 1
		p.flows[i], p.flows[last] = p.flows[last], nil
		p.flows = p.flows[:last]
	}
	p.mu.Unlock()
}

// Addr is where the pacer's packets come from: what an offer names as
// its media address (Spec.RTPFrom).
func (p *Pacer) Addr() netip.AddrPort {
	return p.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// Sent is the number of packets sent.
func (p *Pacer) Sent() int64 { return p.sent.Load() }

const sendBatch = 64

// Run sends until ctx ends, catching up if a tick came late so that every
// flow keeps 50 packets a second.
func (p *Pacer) Run(ctx context.Context) {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	defer p.conn.Close()
	msgs := make([]ipv4.Message, sendBatch)
	for i := range msgs {
		msgs[i].Buffers = make([][]byte, 1)
		msgs[i].Buffers[0] = make([]byte, maxPacket)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		n := 0
		p.mu.Lock()
		for _, f := range p.flows {
			for !f.next.After(now) {
				if pkt := f.unlessPaused(); pkt != nil {
					buf := msgs[n].Buffers[0][:maxPacket]
					msgs[n].Buffers[0] = buf[:copy(buf, pkt)]
					msgs[n].Addr = f.udp
					if n++; n == sendBatch {
						p.flush(msgs[:n])
						n = 0
					}
				}
				f.advance()
			}
		}
		p.mu.Unlock()
		p.flush(msgs[:n])
	}
}

// flush sends a batch, retrying the rest after a partial send.
func (p *Pacer) flush(msgs []ipv4.Message) {
	for len(msgs) > 0 {
		k, err := p.batch.WriteBatch(msgs, 0)
		if err != nil {
			p.errs.Add(int64(len(msgs) - max(k, 0)))
			return
		}
		p.sent.Add(int64(k))
		msgs = msgs[k:]
	}
}
