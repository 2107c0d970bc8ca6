package media

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/pion/srtp/v3"
	"github.com/prometheus/client_golang/prometheus"

	"callrec/internal/siprec"
)

// Peer is who may send a stream its packets. A stream whose Peer names an
// address and a port takes packets from there alone. A zero Port takes the
// first source on Addr, and a zero Addr the first source anywhere; after
// that first packet the stream is latched to its exact source. Packets
// from anywhere else are dropped and counted.
type Peer struct {
	Addr netip.Addr
	Port uint16
}

func (p Peer) exact() bool { return p.Addr.IsValid() && p.Port != 0 }

func (p Peer) admits(src netip.AddrPort) bool {
	return (!p.Addr.IsValid() || p.Addr == src.Addr()) && (p.Port == 0 || p.Port == src.Port())
}

// cgnat is the shared address space of carrier-grade NAT (RFC 6598).
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

func private(a netip.Addr) bool { return a.IsPrivate() || cgnat.Contains(a) }

// PeerFor is whom the stream of an offered m= line takes packets from,
// given the address the SIP request came from (signal):
//   - the m= line's connection address (c=, media or session level) and
//     port, when the SDP names a usable one;
//   - when that address is private (RFC 1918, ULA, CGNAT) but the SIP
//     request came from a public address, the SRC is behind NAT and its
//     packets will come from the NAT's address with a port the NAT picks:
//     the first source on the signalling address;
//   - when the SDP names none (0.0.0.0, a host name, no c=, multicast,
//     port 0 or 9), the first source anywhere.
func PeerFor(m siprec.Media, signal netip.Addr) Peer {
	a, signal := m.Addr.Unmap(), signal.Unmap()
	if !a.IsValid() || a.IsUnspecified() || a.IsMulticast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) ||
		m.Port <= 0 || m.Port == 9 || m.Port > 65535 {
		return Peer{}
	}
	if private(a) && signal.IsValid() && signal != a && !private(signal) && !signal.IsLoopback() && !signal.IsLinkLocalUnicast() {
		return Peer{Addr: signal}
	}
	return Peer{Addr: a, Port: uint16(m.Port)}
}

// latch is a stream's Peer and, once known, the exact source it takes.
type latch struct {
	peer Peer
	src  netip.AddrPort
}

func (g *latch) takes(src netip.AddrPort) bool {
	if g.src.IsValid() {
		return src == g.src
	}
	return g.peer.admits(src)
}

// RejectCounters are process-wide counters a stream also adds its
// rejected packets to (Prometheus); either may be nil.
type RejectCounters struct {
	Source prometheus.Counter // from an address other than the latched one
	Auth   prometheus.Counter // SRTP packets that failed authentication or replayed
}

// srtpProfiles maps the suites siprec reads to pion's profiles.
var srtpProfiles = map[string]srtp.ProtectionProfile{
	"AES_CM_128_HMAC_SHA1_80": srtp.ProtectionProfileAes128CmHmacSha1_80,
	"AES_CM_128_HMAC_SHA1_32": srtp.ProtectionProfileAes128CmHmacSha1_32,
	"AES_256_CM_HMAC_SHA1_80": srtp.ProtectionProfileAes256CmHmacSha1_80,
	"AES_256_CM_HMAC_SHA1_32": srtp.ProtectionProfileAes256CmHmacSha1_32,
	"AEAD_AES_128_GCM":        srtp.ProtectionProfileAeadAes128Gcm,
	"AEAD_AES_256_GCM":        srtp.ProtectionProfileAeadAes256Gcm,
}

// SRTPProfile is pion's protection profile for an SDES suite name (a
// sender's side, as in the load generator).
func SRTPProfile(suite string) (srtp.ProtectionProfile, bool) {
	p, ok := srtpProfiles[suite]
	return p, ok
}

// replayWindow is how many packets back SRTP still takes one (2.5 s of
// 20 ms packets: far more than the track's jitter window keeps anyway).
const replayWindow = 128

// SRTP decrypts and authenticates one stream's packets with the key its
// sender offered (SDES, RFC 4568). Only the stream's receive loop uses it.
type SRTP struct {
	ctx   *srtp.Context
	offer siprec.Crypto
}

// NewSRTP prepares decryption with an offered crypto attribute.
func NewSRTP(c siprec.Crypto) (*SRTP, error) {
	profile, ok := srtpProfiles[c.Suite]
	suite, known := siprec.SuiteNamed(c.Suite)
	if !ok || !known || c.Problem != "" {
		return nil, fmt.Errorf("media: SRTP suite %s not supported", c.Suite)
	}
	if len(c.Key) != suite.KeyLen+suite.SaltLen {
		return nil, fmt.Errorf("media: SRTP key of %d bytes for %s", len(c.Key), c.Suite)
	}
	opts := []srtp.ContextOption{srtp.SRTPReplayProtection(replayWindow)}
	if c.MKI != nil {
		opts = append(opts, srtp.MasterKeyIndicator(c.MKI))
	}
	key := []byte(c.Key)
	ctx, err := srtp.CreateContext(key[:suite.KeyLen], key[suite.KeyLen:], profile, opts...)
	if err != nil {
		return nil, fmt.Errorf("media: SRTP context for %s: %w", c.Suite, err)
	}
	return &SRTP{ctx: ctx, offer: c}, nil
}

// Keyed reports whether s decrypts with the key of c (a re-INVITE that
// repeats the key keeps the stream's SRTP state).
func (s *SRTP) Keyed(c siprec.Crypto) bool { return s != nil && s.offer.Same(c) }

// addrPortOf reads a received message's source without allocating.
func addrPortOf(a net.Addr) netip.AddrPort {
	u, ok := a.(*net.UDPAddr)
	if !ok {
		return netip.AddrPort{}
	}
	ip, _ := netip.AddrFromSlice(u.IP)
	return netip.AddrPortFrom(ip.Unmap(), uint16(u.Port))
}
