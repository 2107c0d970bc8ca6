package media

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// Receiver services many streams' sockets from a few goroutines: each
// worker waits on its own epoll set and drains every ready socket with one
// recvmmsg (up to rxBatch datagrams). With a goroutine per socket, 1,000
// two-stream calls are 100,000 goroutine wake-ups a second, and on a busy
// two-core machine those wake-ups come late (performance-anchors.md:
// cross-core wake-ups cost ~50 µs); here a worker wakes at most every
// rxCycle and handles whatever arrived meanwhile.
type Receiver struct {
	workers []*rxWorker
	next    atomic.Uint32
}

const (
	rxBatch = 16                   // datagrams per recvmmsg
	rxCycle = 2 * time.Millisecond // shortest time between a worker's waits
)

type rxWorker struct {
	epfd    int
	stop    atomic.Bool
	mu      sync.Mutex
	streams map[uint32]*Stream
	seq     uint32
	msgs    []ipv4.Message
}

// NewReceiver starts n workers (n < 1: 2); Close stops them.
func NewReceiver(n int) (*Receiver, error) {
	if n < 1 {
		n = 2
	}
	r := &Receiver{}
	for i := 0; i < n; i++ {
		epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("media: epoll: %w", err)
		}
		w := &rxWorker{epfd: epfd, streams: map[uint32]*Stream{}, msgs: make([]ipv4.Message, rxBatch)}
		for j := range w.msgs {
			w.msgs[j].Buffers = [][]byte{make([]byte, 1500)}
		}
		r.workers = append(r.workers, w)
		go w.run()
	}
	return r, nil
}

// Close stops the workers; streams still registered stop receiving.
func (r *Receiver) Close() {
	for _, w := range r.workers {
		w.stop.Store(true) // the worker closes its epoll set within 100 ms
	}
}

// Add has the receiver service the stream's socket until the stream is
// closed. If the socket cannot be registered the stream gets a goroutine
// of its own, as without a receiver.
func (r *Receiver) Add(s *Stream) {
	if r == nil || len(r.workers) == 0 {
		go s.Run()
		return
	}
	w := r.workers[int(r.next.Add(1))%len(r.workers)]
	if err := w.add(s); err != nil {
		go s.Run()
	}
}

func (w *rxWorker) add(s *Stream) error {
	rc, err := s.conn.SyscallConn()
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.seq++
	id := w.seq
	w.streams[id] = s
	w.mu.Unlock()
	s.batch, s.rx, s.rxID = ipv4.NewPacketConn(s.conn), w, id
	var cerr error
	err = rc.Control(func(fd uintptr) {
		cerr = unix.EpollCtl(w.epfd, unix.EPOLL_CTL_ADD, int(fd), &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(id)})
	})
	if err == nil {
		err = cerr
	}
	if err != nil {
		w.mu.Lock()
		delete(w.streams, id)
		w.mu.Unlock()
		s.batch, s.rx = nil, nil
	}
	return err
}

// remove takes a stream out of the epoll set before its socket closes, so
// the descriptor number cannot be mistaken for a later socket's.
func (w *rxWorker) remove(s *Stream) {
	if rc, err := s.conn.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) { _ = unix.EpollCtl(w.epfd, unix.EPOLL_CTL_DEL, int(fd), nil) })
	}
	w.mu.Lock()
	delete(w.streams, s.rxID)
	w.mu.Unlock()
}

func (w *rxWorker) run() {
	events := make([]unix.EpollEvent, 512)
	ready := make([]*Stream, 0, 512)
	defer unix.Close(w.epfd)
	for !w.stop.Load() {
		began := time.Now()
		n, err := unix.EpollWait(w.epfd, events, 100)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return
		}
		ready = ready[:0]
		w.mu.Lock()
		for _, ev := range events[:n] {
			if s := w.streams[uint32(ev.Fd)]; s != nil {
				ready = append(ready, s)
			}
		}
		w.mu.Unlock()
		for _, s := range ready {
			w.drain(s)
		}
		if n < len(events) {
			// Let packets gather: fewer, fuller wake-ups.
			if d := rxCycle - time.Since(began); d > 0 {
				time.Sleep(d)
			}
		}
	}
}

// drain reads what the socket holds, rxBatch datagrams at a time (level-
// triggered epoll reports it again if more remain).
func (w *rxWorker) drain(s *Stream) {
	n, err := s.batch.ReadBatch(w.msgs, unix.MSG_DONTWAIT)
	if err != nil {
		if errors.Is(err, net.ErrClosed) {
			w.mu.Lock()
			delete(w.streams, s.rxID)
			w.mu.Unlock()
		}
		return
	}
	for i := 0; i < n; i++ {
		s.packet(w.msgs[i].Buffers[0][:w.msgs[i].N])
	}
}
