package media

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
)

// ErrNoPorts means every port of the range is in use.
var ErrNoPorts = errors.New("media: no free RTP port")

// Ports hands out UDP sockets from a configured range, round robin, so a
// port just released is not reused at once (late packets of the old call).
type Ports struct {
	mu     sync.Mutex
	ip     netip.Addr
	lo, hi int
	next   int
	inUse  map[int]bool
}

// ParsePorts reads "LO-HI" (CALLREC_RTP_PORTS).
func ParsePorts(ip netip.Addr, spec string) (*Ports, error) {
	a, b, ok := strings.Cut(spec, "-")
	lo, err1 := strconv.Atoi(strings.TrimSpace(a))
	hi, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || lo < 1024 || hi > 65535 || lo > hi {
		return nil, fmt.Errorf("media: RTP port range %q: want LO-HI within 1024-65535", spec)
	}
	return &Ports{ip: ip, lo: lo, hi: hi, next: lo, inUse: map[int]bool{}}, nil
}

// Listen binds the next free port of the range.
func (p *Ports) Listen() (*net.UDPConn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.hi - p.lo + 1
	for i := 0; i < n; i++ {
		port := p.next
		p.next++
		if p.next > p.hi {
			p.next = p.lo
		}
		if p.inUse[port] {
			continue
		}
		conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.ip, uint16(port))))
		if err != nil {
			continue
		}
		// 512 KiB (the kernel doubles it) holds ~10 s of one G.711
		// stream: a receiver held up by a busy machine catches up
		// instead of the kernel dropping packets.
		_ = conn.SetReadBuffer(512 << 10)
		p.inUse[port] = true
		return conn, nil
	}
	return nil, ErrNoPorts
}

// Release returns a port to the range once its socket is closed.
func (p *Ports) Release(port int) {
	p.mu.Lock()
	delete(p.inUse, port)
	p.mu.Unlock()
}
