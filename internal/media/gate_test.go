package media

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"

	"callrec/internal/siprec"
)

// sender is a UDP socket that sends 20 ms PCMU packets of a tone to a
// stream, optionally SRTP-protected.
type sender struct {
	t    *testing.T
	conn *net.UDPConn
	to   *net.UDPAddr
	freq float64
	ssrc uint32
	i    int
	enc  *srtp.Context
}

func newSender(t *testing.T, ip string, to *net.UDPAddr, freq float64, ssrc uint32) *sender {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &sender{t: t, conn: c, to: to, freq: freq, ssrc: ssrc}
}

func (s *sender) addr() netip.AddrPort { return s.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// packet is the next packet, as it goes on the wire.
func (s *sender) packet() []byte {
	pcm := make([]int16, 160)
	Tone(pcm, s.freq, Rate, 8000, int64(s.i*160))
	payload := make([]byte, 160)
	for k, v := range pcm {
		payload[k] = EncodeULaw(v)
	}
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: uint16(100 + s.i), Timestamp: uint32(9000 + s.i*160), SSRC: s.ssrc}, Payload: payload}
	s.i++
	b, err := p.Marshal()
	if err != nil {
		s.t.Fatal(err)
	}
	if s.enc != nil {
		if b, err = s.enc.EncryptRTP(nil, b, nil); err != nil {
			s.t.Fatal(err)
		}
	}
	return b
}

// send sends the next n packets.
func (s *sender) send(n int) {
	for range n {
		s.raw(s.packet())
	}
}

func (s *sender) raw(b []byte) {
	if _, err := s.conn.WriteToUDP(b, s.to); err != nil {
		s.t.Fatal(err)
	}
}

// stream is a PCMU stream on 127.0.0.1 with its track in a temp dir.
func openTestStream(t *testing.T) (*Stream, string, chan struct{}) {
	t.Helper()
	dir := t.TempDir()
	track, err := OpenTrack(filepath.Join(dir, "s.pcm"))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	codec, _ := CodecFor(siprec.Format{PT: 0, Name: "pcmu", ClockRate: 8000})
	s, err := NewStream(conn, codec, -1, track, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, filepath.Join(dir, "s.pcm"), make(chan struct{})
}

func (s *Stream) udpAddr() *net.UDPAddr { return s.conn.LocalAddr().(*net.UDPAddr) }

// waitStats polls until ok holds for the stream's stats.
func waitStats(t *testing.T, s *Stream, ok func(Stats) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok(s.Stats()) {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v", s.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// trackSamples closes the stream and reads its track.
func trackSamples(t *testing.T, s *Stream, path string, done chan struct{}) []int16 {
	t.Helper()
	if err := s.Close(0); err != nil {
		t.Fatal(err)
	}
	<-done
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int16, len(raw)/2)
	for i := range out {
		out[i] = int16(binary.LittleEndian.Uint16(raw[2*i:]))
	}
	return out
}

// TestStreamLatching sends a tone from the stream's peer and another
// from an intruder on 127.0.0.2, for each way a stream learns its peer,
// and checks that only the peer's tone is in the track and the intruder's
// packets are counted as rejected.
func TestStreamLatching(t *testing.T) {
	const genuine, injected = 1000.0, 2600.0
	tests := []struct {
		name string
		peer func(good netip.AddrPort) Peer
	}{
		{"address and port from the SDP", func(g netip.AddrPort) Peer { return Peer{Addr: g.Addr(), Port: g.Port()} }},
		{"address only (NAT): first source on it", func(g netip.AddrPort) Peer { return Peer{Addr: g.Addr()} }},
		{"none usable: first source anywhere", func(netip.AddrPort) Peer { return Peer{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, path, done := openTestStream(t)
			good := newSender(t, "127.0.0.1", s.udpAddr(), genuine, 1)
			bad := newSender(t, "127.0.0.2", s.udpAddr(), injected, 2)
			s.SetPeer(tt.peer(good.addr()))
			go func() { s.Run(); close(done) }()
			good.send(5)
			waitStats(t, s, func(st Stats) bool { return st.Packets == 5 })
			for range 45 {
				good.send(1)
				bad.send(1)
			}
			waitStats(t, s, func(st Stats) bool { return st.Packets == 50 && st.Rejected == 45 })
			x := trackSamples(t, s, path, done)
			if pg, pi := Power(x, genuine, Rate), Power(x, injected, Rate); pg < 1e6 || pi > pg/1000 {
				t.Errorf("genuine tone power %.0f, injected %.0f", pg, pi)
			}
		})
	}
}

// TestStreamRelatch moves the peer as a re-INVITE would: the old source
// is then rejected and the new one taken.
func TestStreamRelatch(t *testing.T) {
	s, path, done := openTestStream(t)
	a := newSender(t, "127.0.0.1", s.udpAddr(), 1000, 1)
	b := newSender(t, "127.0.0.2", s.udpAddr(), 1000, 1)
	s.SetPeer(Peer{Addr: a.addr().Addr(), Port: a.addr().Port()})
	go func() { s.Run(); close(done) }()
	a.send(3)
	b.send(3)
	waitStats(t, s, func(st Stats) bool { return st.Packets == 3 && st.Rejected == 3 })
	s.SetPeer(Peer{Addr: b.addr().Addr(), Port: b.addr().Port()})
	b.send(3)
	a.send(3)
	waitStats(t, s, func(st Stats) bool { return st.Packets == 6 && st.Rejected == 6 })
	trackSamples(t, s, path, done)
}

// TestPeerFor checks which source an offered m= line lets in.
func TestPeerFor(t *testing.T) {
	addr := netip.MustParseAddr
	tests := []struct {
		name   string
		c      string
		port   int
		signal string
		want   Peer
	}{
		{"public SRC", "203.0.113.5", 4000, "203.0.113.9", Peer{addr("203.0.113.5"), 4000}},
		{"LAN SRC", "10.1.2.3", 4000, "10.1.2.4", Peer{addr("10.1.2.3"), 4000}},
		{"loopback", "127.0.0.1", 4000, "127.0.0.1", Peer{addr("127.0.0.1"), 4000}},
		{"IPv4-mapped", "::ffff:192.0.2.1", 4000, "192.0.2.1", Peer{addr("192.0.2.1"), 4000}},
		{"behind NAT", "192.168.1.10", 4000, "198.51.100.7", Peer{Addr: addr("198.51.100.7")}},
		{"behind carrier NAT", "100.64.3.4", 4000, "198.51.100.7", Peer{Addr: addr("198.51.100.7")}},
		{"unspecified", "0.0.0.0", 4000, "198.51.100.7", Peer{}},
		{"IPv6 unspecified", "::", 4000, "2001:db8::1", Peer{}},
		{"no usable c= (host name)", "", 4000, "198.51.100.7", Peer{}},
		{"multicast", "239.1.1.1", 4000, "198.51.100.7", Peer{}},
		{"discard port", "203.0.113.5", 9, "203.0.113.5", Peer{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := siprec.Media{Port: tt.port}
			if tt.c != "" {
				m.Addr = addr(tt.c)
			}
			if got := PeerFor(m, addr(tt.signal)); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// keyFor is a fixed test key of the suite's length.
func keyFor(t *testing.T, suite string, fill byte) siprec.Crypto {
	s, ok := siprec.SuiteNamed(suite)
	if !ok {
		t.Fatalf("suite %s", suite)
	}
	return siprec.Crypto{Tag: 1, Suite: suite, Key: bytes.Repeat([]byte{fill}, s.KeyLen+s.SaltLen)}
}

// encrypter is the sending side's SRTP context for c.
func encrypter(t *testing.T, c siprec.Crypto) *srtp.Context {
	t.Helper()
	s, _ := siprec.SuiteNamed(c.Suite)
	var opts []srtp.ContextOption
	if c.MKI != nil {
		opts = append(opts, srtp.MasterKeyIndicator(c.MKI))
	}
	ctx, err := srtp.CreateContext(c.Key[:s.KeyLen], c.Key[s.KeyLen:], srtpProfiles[c.Suite], opts...)
	if err != nil {
		t.Fatal(err)
	}
	return ctx
}

// TestStreamSRTP streams an SRTP tone for each suite and checks the track
// holds it, while tampered packets, replays and packets under another key
// are counted as unauthenticated and leave the track alone.
func TestStreamSRTP(t *testing.T) {
	for _, suite := range []string{"AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32", "AES_256_CM_HMAC_SHA1_80", "AEAD_AES_128_GCM", "AEAD_AES_256_GCM", "mki"} {
		t.Run(suite, func(t *testing.T) {
			key := keyFor(t, "AES_CM_128_HMAC_SHA1_80", 7)
			if suite == "mki" {
				key.MKI = []byte{0, 9}
			} else {
				key = keyFor(t, suite, 7)
			}
			k, err := NewSRTP(key)
			if err != nil {
				t.Fatal(err)
			}
			s, path, done := openTestStream(t)
			s.SetSRTP(k)
			src := newSender(t, "127.0.0.1", s.udpAddr(), 1000, 5)
			src.enc = encrypter(t, key)
			go func() { s.Run(); close(done) }()

			src.send(10)
			waitStats(t, s, func(st Stats) bool { return st.Packets == 10 })
			p := src.packet()
			tampered := bytes.Clone(p)
			tampered[20] ^= 0x40
			src.raw(tampered)
			src.raw(p)
			src.raw(p) // a replay
			forger := newSender(t, "127.0.0.1", s.udpAddr(), 2600, 5)
			forger.enc = encrypter(t, keyFor(t, key.Suite, 8))
			forger.i = src.i
			// From the latched source, under another key: a spoofed address.
			src.raw(forger.packet())
			src.send(39)
			waitStats(t, s, func(st Stats) bool { return st.Packets == 50 && st.Unauthenticated == 3 })
			x := trackSamples(t, s, path, done)
			if p1, p2 := Power(x, 1000, Rate), Power(x, 2600, Rate); p1 < 1e6 || p2 > p1/1000 {
				t.Errorf("1000 Hz power %.0f, forged 2600 Hz %.0f", p1, p2)
			}
			if !k.Keyed(key) || k.Keyed(keyFor(t, key.Suite, 8)) {
				t.Error("Keyed does not tell keys apart")
			}
		})
	}
}

// TestStreamSRTPLatchesOnAuthenticPacket has an intruder send first to a
// stream that may latch on anyone: its unauthenticated packets must not
// take the stream from the genuine sender who follows.
func TestStreamSRTPLatchesOnAuthenticPacket(t *testing.T) {
	key := keyFor(t, "AES_CM_128_HMAC_SHA1_80", 3)
	k, err := NewSRTP(key)
	if err != nil {
		t.Fatal(err)
	}
	s, path, done := openTestStream(t)
	s.SetSRTP(k)
	go func() { s.Run(); close(done) }()
	bad := newSender(t, "127.0.0.2", s.udpAddr(), 2600, 5)
	bad.enc = encrypter(t, keyFor(t, key.Suite, 4))
	bad.send(5)
	waitStats(t, s, func(st Stats) bool { return st.Unauthenticated == 5 })
	good := newSender(t, "127.0.0.1", s.udpAddr(), 1000, 5)
	good.enc = encrypter(t, key)
	good.send(20)
	bad.send(5)
	waitStats(t, s, func(st Stats) bool { return st.Packets == 20 && st.Unauthenticated == 5 && st.Rejected == 5 })
	trackSamples(t, s, path, done)
}

// TestPacketPathAllocatesNothing: a plain RTP packet from the peer, and
// one from an intruder, cost no allocation.
func TestPacketPathAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	dir := t.TempDir()
	track, err := OpenTrack(filepath.Join(dir, "s.pcm"))
	if err != nil {
		t.Fatal(err)
	}
	defer track.Close()
	codec, _ := CodecFor(siprec.Format{PT: 0, Name: "pcmu", ClockRate: 8000})
	clock := time.Now()
	now := func() time.Time { return clock }
	s, err := NewStream(nil, codec, -1, track, clock, now)
	if err != nil {
		t.Fatal(err)
	}
	peer := netip.MustParseAddrPort("127.0.0.1:4000")
	intruder := netip.MustParseAddrPort("127.0.0.2:4000")
	s.SetPeer(Peer{Addr: peer.Addr(), Port: peer.Port()})
	pkt := make([]byte, 172)
	pkt[0] = 0x80
	i := 0
	next := func() {
		binary.BigEndian.PutUint16(pkt[2:], uint16(i))
		binary.BigEndian.PutUint32(pkt[4:], uint32(i*160))
		clock = clock.Add(20 * time.Millisecond)
		i++
	}
	for range 200 { // warm up the track's buffers
		next()
		s.packet(pkt, peer)
	}
	if n := testing.AllocsPerRun(500, func() { next(); s.packet(pkt, peer) }); n != 0 {
		t.Errorf("a genuine packet allocates %v times", n)
	}
	if n := testing.AllocsPerRun(500, func() { s.packet(pkt, intruder) }); n != 0 {
		t.Errorf("a rejected packet allocates %v times", n)
	}
}

// BenchmarkPacket is the receive path's cost per 20 ms PCMU packet:
// plain RTP, SRTP, and a packet from an intruder.
func BenchmarkPacket(b *testing.B) {
	for _, kind := range []string{"plain", "srtp", "rejected"} {
		b.Run(kind, func(b *testing.B) {
			track, err := OpenTrack(filepath.Join(b.TempDir(), "s.pcm"))
			if err != nil {
				b.Fatal(err)
			}
			defer track.Close()
			codec, _ := CodecFor(siprec.Format{PT: 0, Name: "pcmu", ClockRate: 8000})
			clock := time.Now()
			s, _ := NewStream(nil, codec, -1, track, clock, func() time.Time { return clock })
			peer, from := netip.MustParseAddrPort("127.0.0.1:4000"), netip.MustParseAddrPort("127.0.0.1:4000")
			if kind == "rejected" {
				from = netip.MustParseAddrPort("127.0.0.2:4000")
			}
			s.SetPeer(Peer{Addr: peer.Addr(), Port: peer.Port()})
			var enc *srtp.Context
			if kind == "srtp" {
				key := siprec.Crypto{Tag: 1, Suite: "AES_CM_128_HMAC_SHA1_80", Key: bytes.Repeat([]byte{1}, 30)}
				k, err := NewSRTP(key)
				if err != nil {
					b.Fatal(err)
				}
				s.SetSRTP(k)
				enc, _ = srtp.CreateContext(key.Key[:16], key.Key[16:], srtp.ProtectionProfileAes128CmHmacSha1_80)
			}
			plain := make([]byte, 172)
			plain[0] = 0x80
			wire := make([]byte, 0, 200)
			b.ReportAllocs()
			for i := range b.N {
				binary.BigEndian.PutUint16(plain[2:], uint16(i))
				binary.BigEndian.PutUint32(plain[4:], uint32(i*160))
				clock = clock.Add(20 * time.Millisecond)
				pkt := plain
				if enc != nil {
					b.StopTimer()
					pkt, _ = enc.EncryptRTP(wire[:0], plain, nil)
					b.StartTimer()
				}
				s.packet(pkt, from)
			}
		})
	}
}
