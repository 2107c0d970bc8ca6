package media

import (
	"errors"
	"net"
	"net/netip"
	"slices"
	"testing"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// portOf is a bound socket's port.
func portOf(c *net.UDPConn) int { return c.LocalAddr().(*net.UDPAddr).Port }

// TestPortsRandom checks that ports come in no predictable order: twenty
// drawn from a thousand are neither consecutive nor sorted.
func TestPortsRandom(t *testing.T) {
	p, err := ParsePorts(loopback, "45000-45999")
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for range 20 {
		c, err := p.Listen()
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		got = append(got, portOf(c))
	}
	sequential := 0
	for i := 1; i < len(got); i++ {
		if got[i] == got[i-1]+1 {
			sequential++
		}
	}
	// By chance, a run of 19 draws from ~1,000 ports has a successor pair
	// with probability ~2%; more than three is a sequence, not chance.
	if sequential > 3 || slices.IsSorted(got) {
		t.Errorf("ports %v look sequential", got)
	}
	for _, port := range got {
		if port < 45000 || port > 45999 {
			t.Errorf("port %d outside the range", port)
		}
	}
}

// TestPortsReleasedPortWaits releases a port and checks that the next
// hundred calls do not get it back, while the range has others free.
func TestPortsReleasedPortWaits(t *testing.T) {
	p, err := ParsePorts(loopback, "45000-45999")
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.Listen()
	if err != nil {
		t.Fatal(err)
	}
	released := portOf(c)
	c.Close()
	p.Release(released)
	for range 100 {
		c, err := p.Listen()
		if err != nil {
			t.Fatal(err)
		}
		port := portOf(c)
		c.Close()
		if port == released {
			t.Fatalf("port %d handed out again right after its release", port)
		}
		p.Release(port)
	}
}

// TestPortsExhaust fills a small range, checks ErrNoPorts, and that a
// released port is handed out again when it is the only one left. A port
// of the range that another program holds is skipped, not an error.
func TestPortsExhaust(t *testing.T) {
	p, err := ParsePorts(loopback, "45990-45999")
	if err != nil {
		t.Fatal(err)
	}
	squatter, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 45995})
	if err != nil {
		t.Skipf("port 45995 busy: %v", err)
	}
	defer squatter.Close()
	var conns []*net.UDPConn
	for {
		c, err := p.Listen()
		if errors.Is(err, ErrNoPorts) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		if len(conns) > 10 {
			t.Fatal("more sockets than ports")
		}
	}
	// Other tests on the machine may hold a port of the range too.
	if len(conns) == 0 || len(conns) > 9 {
		t.Fatalf("bound %d of the 9 free ports", len(conns))
	}
	for _, c := range conns {
		if portOf(c) == 45995 {
			t.Error("got the port another socket holds")
		}
	}
	if _, err := p.Listen(); !errors.Is(err, ErrNoPorts) {
		t.Errorf("full range: %v, want ErrNoPorts", err)
	}
	last := conns[len(conns)-1]
	port := portOf(last)
	last.Close()
	p.Release(port)
	c, err := p.Listen()
	if err != nil {
		t.Fatalf("after a release: %v", err)
	}
	defer c.Close()
	if portOf(c) != port {
		t.Errorf("got %d, want the only free port %d", portOf(c), port)
	}
	for _, c := range conns[:len(conns)-1] {
		c.Close()
	}
}

// TestPortsManyCalls allocates 2,000 ports (1,000 two-stream calls) from
// a 10,000-port range and releases them all, with no port handed out twice.
func TestPortsManyCalls(t *testing.T) {
	p, err := ParsePorts(loopback, "50000-59999")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	var conns []*net.UDPConn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 2000 {
		c, err := p.Listen()
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		if seen[portOf(c)] {
			t.Fatalf("port %d handed out twice", portOf(c))
		}
		seen[portOf(c)] = true
	}
	for _, c := range conns {
		port := portOf(c)
		c.Close()
		p.Release(port)
	}
	conns = nil
	if n := len(p.free) + len(p.cooling); n != 10000 {
		t.Errorf("%d ports back in the range, want 10000", n)
	}
}
