//go:build !linux

package media

// Receiver gives each stream a goroutine of its own where batched receive
// (epoll and recvmmsg) is not available.
type Receiver struct{}

type rxWorker struct{}

func (*rxWorker) remove(*Stream) {}

// NewReceiver returns a receiver; n is ignored here.
func NewReceiver(n int) (*Receiver, error) { return &Receiver{}, nil }

// Close does nothing here.
func (r *Receiver) Close() {}

// Add starts the stream's own receive goroutine.
func (r *Receiver) Add(s *Stream) { go s.Run() }
