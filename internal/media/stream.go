package media

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"golang.org/x/net/ipv4"
)

// Stream receives one RTP stream on its own UDP socket and writes it to a
// Track. The first packet of an SSRC anchors its RTP clock to the call's
// timeline by arrival time; later packets are placed by timestamp, so
// reordering and jitter inside the track's window cost nothing and gaps
// become silence. A new SSRC, or a timestamp that strays more than a second
// from the wall clock, re-anchors.
//
// A stream takes packets only from its Peer (see SetPeer) and, when it has
// SRTP keys (SetSRTP), only packets that authenticate; the rest are
// dropped and counted before they cost more than an address compare.
type Stream struct {
	conn  *net.UDPConn
	codec Codec
	dtmf  int // payload type of telephone-event, -1 if none
	track *Track
	start time.Time
	now   func() time.Time

	mu     sync.Mutex // guards codec changes against the receive loop
	dec    Decoder
	closed bool
	paused atomic.Bool
	lastRx atomic.Int64 // unix nanoseconds of the last packet

	gate    atomic.Pointer[latch] // who may send; replaced whole, never changed in place
	srtp    atomic.Pointer[SRTP]  // nil: plain RTP
	rejects RejectCounters

	// receive-loop state
	ssrc      uint32
	anchored  bool
	offset    int64 // timeline position of extended timestamp 0
	lastTS    uint32
	ext       int64
	lastFlush time.Time
	pcm       []int16
	hdr       rtp.Header
	plain     []byte // an SRTP packet decrypted

	stats streamStats
}

type streamStats struct {
	packets, bytes, ignored, ssrcs atomic.Int64
	rejected, unauthenticated      atomic.Int64
	firstSeq, maxSeq               atomic.Int64 // extended sequence numbers
	seqInit                        atomic.Bool
	cycles                         int64
	lastSeq                        uint16
}

// Stats is what a stream saw.
type Stats struct {
	Packets int64 `json:"packets"`
	Lost    int64 `json:"lost"`
	Late    int64 `json:"late"`
	Ignored int64 `json:"ignored"`
	SSRCs   int64 `json:"ssrcs"`
	// Rejected came from another source than the stream's peer.
	Rejected int64 `json:"rejected"`
	// Unauthenticated failed SRTP authentication or replayed a packet.
	Unauthenticated int64 `json:"unauthenticated"`
}

// flushEvery bounds what a crash can lose: spooled audio reaches the file
// at least this often while packets flow.
const flushEvery = 500 * time.Millisecond

// NewStream wraps a bound socket. start is the call's timeline origin.
func NewStream(conn *net.UDPConn, codec Codec, dtmfPT int, track *Track, start time.Time, now func() time.Time) (*Stream, error) {
	if now == nil {
		now = time.Now
	}
	dec, err := codec.New()
	if err != nil {
		return nil, err
	}
	s := &Stream{conn: conn, codec: codec, dtmf: dtmfPT, track: track, start: start, now: now, dec: dec, lastFlush: now()}
	s.lastRx.Store(now().UnixNano())
	s.gate.Store(&latch{})
	return s, nil
}

// SetPeer sets whom the stream takes packets from: at the offer, and again
// when a re-INVITE moves the SRC's media. It forgets a latched source.
func (s *Stream) SetPeer(p Peer) {
	g := &latch{peer: p}
	if p.exact() {
		g.src = netip.AddrPortFrom(p.Addr, p.Port)
	}
	s.gate.Store(g)
}

// SetSRTP has the stream decrypt and authenticate every packet with k
// (nil: plain RTP). Set it before Run, or to switch keys.
func (s *Stream) SetSRTP(k *SRTP) {
	s.srtp.Store(k)
}

// SRTP is the stream's decryption, nil for plain RTP.
func (s *Stream) SRTP() *SRTP { return s.srtp.Load() }

// CountRejects has the stream add its rejected packets to c too. Set it
// before Run.
func (s *Stream) CountRejects(c RejectCounters) { s.rejects = c }

// Port is the local UDP port.
func (s *Stream) Port() int { return s.conn.LocalAddr().(*net.UDPAddr).Port }

// SetPaused stops or resumes recording (a=inactive in a re-INVITE).
func (s *Stream) SetPaused(p bool) {
	s.paused.Store(p)
	s.lastRx.Store(s.now().UnixNano())
}

// Paused reports whether the stream is paused.
func (s *Stream) Paused() bool { return s.paused.Load() }

// SetCodec switches the payload format (a re-INVITE may change it).
func (s *Stream) SetCodec(c Codec, dtmfPT int) error {
	dec, err := c.New()
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.codec, s.dtmf, s.dec = c, dtmfPT, dec
	s.mu.Unlock()
	return nil
}

// Idle reports how long the stream has had no packet (zero while paused).
func (s *Stream) Idle() time.Duration {
	if s.paused.Load() {
		return 0
	}
	return s.now().Sub(time.Unix(0, s.lastRx.Load()))
}

// Run receives until the socket is closed. It reads up to rxBatch
// datagrams per wake-up (recvmmsg), so a receiver the busy machine held up
// catches up in a few system calls instead of one per packet.
func (s *Stream) Run() {
	batch := ipv4.NewPacketConn(s.conn)
	msgs := make([]ipv4.Message, rxBatch)
	for i := range msgs {
		msgs[i].Buffers = [][]byte{make([]byte, 1500)}
	}
	for {
		n, err := batch.ReadBatch(msgs, 0)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		for _, m := range msgs[:n] {
			s.packet(m.Buffers[0][:m.N], addrPortOf(m.Addr))
		}
	}
}

// rxBatch is how many datagrams one read may take.
const rxBatch = 4

// packet takes one datagram from src.
func (s *Stream) packet(b []byte, src netip.AddrPort) {
	g := s.gate.Load()
	if !g.takes(src) {
		s.stats.rejected.Add(1)
		if s.rejects.Source != nil {
			s.rejects.Source.Inc()
		}
		return
	}
	if k := s.srtp.Load(); k != nil {
		if cap(s.plain) == 0 {
			s.plain = make([]byte, 0, 1500)
		}
		out, err := k.ctx.DecryptRTP(s.plain[:0], b, &s.hdr)
		if err != nil {
			s.stats.unauthenticated.Add(1)
			if s.rejects.Auth != nil {
				s.rejects.Auth.Inc()
			}
			return
		}
		b = out
	}
	h := &s.hdr
	hl, err := h.Unmarshal(b)
	if err != nil || h.Version != 2 {
		s.stats.ignored.Add(1)
		return
	}
	if !g.src.IsValid() {
		// The first packet that fits the peer (and, with SRTP,
		// authenticates) latches the stream to its source, unless a
		// re-INVITE replaced the peer meanwhile.
		s.gate.CompareAndSwap(g, &latch{peer: g.peer, src: src})
	}
	payload := b[hl:]
	if h.Padding && len(payload) > 0 {
		pad := int(payload[len(payload)-1])
		if pad > len(payload) {
			s.stats.ignored.Add(1)
			return
		}
		payload = payload[:len(payload)-pad]
	}
	s.handle(h, payload)
}

func (s *Stream) handle(h *rtp.Header, payload []byte) {
	now := s.now()
	s.lastRx.Store(now.UnixNano())
	s.stats.packets.Add(1)
	s.stats.bytes.Add(int64(len(payload)))
	s.countSeq(h.SequenceNumber)
	if s.paused.Load() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if int(h.PayloadType) == s.dtmf || int(h.PayloadType) != s.codec.Format.PT {
		s.stats.ignored.Add(1)
		return
	}
	arrival := int64(now.Sub(s.start)) * Rate / int64(time.Second)
	if !s.anchored || h.SSRC != s.ssrc {
		if s.anchored {
			s.stats.ssrcs.Add(1)
			if dec, err := s.codec.New(); err == nil {
				s.dec = dec
			}
		}
		s.anchor(h, arrival)
	}
	d := int64(int32(h.Timestamp - s.lastTS))
	e := s.ext + d
	pos := s.offset + e/int64(s.codec.Div)
	if pos > arrival+Rate || pos < arrival-Rate {
		s.anchor(h, arrival)
		e, pos = 0, arrival
	} else if d > 0 {
		s.ext, s.lastTS = e, h.Timestamp
	}
	s.pcm = s.dec.Decode(payload, s.pcm[:0])
	s.track.Put(pos, s.pcm)
	if now.Sub(s.lastFlush) >= flushEvery {
		s.lastFlush = now
		_ = s.track.Flush(false)
	}
}

func (s *Stream) anchor(h *rtp.Header, arrival int64) {
	s.anchored, s.ssrc = true, h.SSRC
	s.offset, s.ext, s.lastTS = arrival, 0, h.Timestamp
}

func (s *Stream) countSeq(seq uint16) {
	st := &s.stats
	if !st.seqInit.Load() {
		st.seqInit.Store(true)
		st.lastSeq = seq
		st.firstSeq.Store(int64(seq))
		st.maxSeq.Store(int64(seq))
		return
	}
	d := int16(seq - st.lastSeq)
	if d > 0 {
		if seq < st.lastSeq {
			st.cycles += 1 << 16
		}
		st.lastSeq = seq
		st.maxSeq.Store(st.cycles + int64(seq))
	}
}

// Stats returns the counters so far.
func (s *Stream) Stats() Stats {
	st := &s.stats
	packets := st.packets.Load()
	lost := int64(0)
	if st.seqInit.Load() {
		lost = st.maxSeq.Load() - st.firstSeq.Load() + 1 - packets
	}
	return Stats{Packets: packets, Lost: max(lost, 0), Late: s.track.Late(), Ignored: st.ignored.Load(), SSRCs: st.ssrcs.Load() + min(packets, 1),
		Rejected: st.rejected.Load(), Unauthenticated: st.unauthenticated.Load()}
}

// Close stops receiving and flushes the track; end (in samples) pads the
// track with silence to the call's length.
func (s *Stream) Close(end int64) error {
	s.conn.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if err := s.track.Flush(true); err != nil {
		return err
	}
	if err := s.track.Extend(end); err != nil {
		return err
	}
	return s.track.Close()
}
