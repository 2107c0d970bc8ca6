package media

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
)

// ErrNoPorts means every port of the range is in use.
var ErrNoPorts = errors.New("media: no free RTP port")

// Ports hands out UDP sockets from a configured range. A port is drawn at
// random from those free, so that a sender who did not see the SDP answer
// cannot guess which port a new call got. A released port waits behind the
// most recently released ones before it can be drawn again, so the late
// packets of the old call do not land in a new one; only when nothing else
// is free is the port that waited longest handed out.
//
// Listen and Release are O(1) apart from the bind itself: the free ports are
// a slice drawn from by swap-remove, the released ones a FIFO.
type Ports struct {
	mu      sync.Mutex
	ip      netip.Addr
	lo      int
	used    []bool   // by port - lo
	free    []uint16 // drawn from at random
	cooling []uint16 // released, oldest first
	hold    int      // how many released ports cool before the oldest is free again
}

// ParsePorts reads "LO-HI" (CALLREC_RTP_PORTS).
func ParsePorts(ip netip.Addr, spec string) (*Ports, error) {
	a, b, ok := strings.Cut(spec, "-")
	lo, err1 := strconv.Atoi(strings.TrimSpace(a))
	hi, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || lo < 1024 || hi > 65535 || lo > hi {
		return nil, fmt.Errorf("media: RTP port range %q: want LO-HI within 1024-65535", spec)
	}
	n := hi - lo + 1
	p := &Ports{ip: ip, lo: lo, used: make([]bool, n), free: make([]uint16, 0, n), hold: min(n/2, 1024)}
	for port := lo; port <= hi; port++ {
		p.free = append(p.free, uint16(port))
	}
	return p, nil
}

// Listen binds a random free port of the range. A port that another
// program holds is set aside like a released one and tried again later.
func (p *Ports) Listen() (*net.UDPConn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for tries := len(p.free) + len(p.cooling); tries > 0; tries-- {
		port, ok := p.draw()
		if !ok {
			break
		}
		conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.ip, port)))
		if err != nil {
			p.cooling = append(p.cooling, port)
			continue
		}
		// 512 KiB (the kernel doubles it) holds ~10 s of one G.711
		// stream: a receiver held up by a busy machine catches up
		// instead of the kernel dropping packets.
		_ = conn.SetReadBuffer(512 << 10)
		p.used[int(port)-p.lo] = true
		return conn, nil
	}
	return nil, ErrNoPorts
}

// draw takes a random free port, or when none is free the port that has
// cooled longest.
func (p *Ports) draw() (uint16, bool) {
	if n := len(p.free); n > 0 {
		// math/rand/v2's global generator is ChaCha8 seeded by the
		// runtime from the OS: not predictable from outside.
		i := rand.IntN(n)
		port := p.free[i]
		p.free[i] = p.free[n-1]
		p.free = p.free[:n-1]
		return port, true
	}
	if len(p.cooling) > 0 {
		port := p.cooling[0]
		p.cooling = p.cooling[1:]
		return port, true
	}
	return 0, false
}

// Release returns a port to the range once its socket is closed.
func (p *Ports) Release(port int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := port - p.lo
	if i < 0 || i >= len(p.used) || !p.used[i] {
		return
	}
	p.used[i] = false
	p.cooling = append(p.cooling, uint16(port))
	if len(p.cooling) > p.hold {
		p.free = append(p.free, p.cooling[0])
		p.cooling = p.cooling[1:]
	}
}
