// Package httpserver bounds what one HTTP client may hold of the server:
// the time to send its request, to take the response, and to stay
// connected between requests. Responses meant to last — server-sent
// events, live-listen WebSockets, downloads of long recordings and large
// exports — lift the bounds for their own connection and bound each write
// instead (Stream, Lift), so that they last while the client reads and a
// client that stops reading is still let go.
package httpserver

import (
	"net/http"
	"time"
)

// The production bounds, and why each is what it is.
const (
	// ReadHeaderTimeout: a request line and headers are a few hundred
	// bytes a client sends at once; ten seconds allow a poor mobile link
	// and cut off one that trickles them to hold a connection (slowloris).
	ReadHeaderTimeout = 10 * time.Second
	// ReadTimeout bounds the whole request, body included. The largest
	// body is a 5 MiB users CSV import: two minutes is 350 kbit/s.
	ReadTimeout = 2 * time.Minute
	// WriteTimeout bounds a handler's work and its response, from the end
	// of the request headers. The slowest ordinary handler is the Teams
	// wizard's consent callback: about half a minute waiting for
	// Microsoft's directory to replicate, on top of Graph calls of up to
	// 30 s each. A client that does not read its response is let go after it.
	WriteTimeout = 2 * time.Minute
	// IdleTimeout is how long a keep-alive connection waits for its next
	// request: long enough for a portal tab's next click, short enough to
	// free the sockets of clients that went away.
	IdleTimeout = 2 * time.Minute
	// StreamWriteTimeout bounds each write of a response that lifted
	// WriteTimeout (an event, a 32 KiB chunk of audio, a CSV row batch): a
	// client that takes none of it for a minute has stopped reading. A
	// browser whose player is paused may stall that long; it asks again
	// with a Range request when it plays on.
	StreamWriteTimeout = time.Minute
)

// Timeouts are a server's bounds; tests shorten them.
type Timeouts struct {
	ReadHeader, Read, Write, Idle time.Duration
}

// Defaults are the production bounds.
func Defaults() Timeouts {
	return Timeouts{ReadHeader: ReadHeaderTimeout, Read: ReadTimeout, Write: WriteTimeout, Idle: IdleTimeout}
}

// New returns a server of h within the bounds t.
func New(h http.Handler, t Timeouts) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read,
		WriteTimeout: t.Write, IdleTimeout: t.Idle}
}

// Lift removes the server's read and write deadlines from the request's
// connection, for a handler that bounds its own writes: a WebSocket (each
// frame has its own timeout; hijacking clears the deadlines too, but the
// handshake may wait on another node first) or a Stream. A writer without
// deadlines (a test's recorder) has none to lift.
func Lift(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
}

// Stream lifts the server's deadlines for a response meant to last and
// returns the writer to use for it, which bounds each Write and Flush by
// perWrite instead: the response lasts as long as the client keeps reading.
func Stream(w http.ResponseWriter, perWrite time.Duration) http.ResponseWriter {
	Lift(w)
	return &streamWriter{ResponseWriter: w, rc: http.NewResponseController(w), per: perWrite}
}

// streamWriter moves the write deadline ahead of every write. It has no
// ReadFrom on purpose: sendfile would make one write of a whole recording.
type streamWriter struct {
	http.ResponseWriter
	rc  *http.ResponseController
	per time.Duration
}

func (s *streamWriter) extend() { _ = s.rc.SetWriteDeadline(time.Now().Add(s.per)) }

func (s *streamWriter) Write(b []byte) (int, error) {
	s.extend()
	return s.ResponseWriter.Write(b)
}

// Flush sends what is buffered (http.Flusher).
func (s *streamWriter) Flush() { _ = s.FlushError() }

// FlushError sends what is buffered and says whether it could
// (http.ResponseController's Flush).
func (s *streamWriter) FlushError() error {
	s.extend()
	return s.rc.Flush()
}

// Unwrap gives http.ResponseController the writer underneath.
func (s *streamWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
