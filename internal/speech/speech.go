// Package speech turns recorded telephone audio into text: an Engine
// transcribes one mono segment, and Transcribe cuts each channel of a call
// into voiced segments (an energy detector), runs the engine on each and
// merges both channels into a dialogue with word times.
//
// Two engines exist: Sphinx (CMU pocketsphinx through cgo, only in builds
// with the `pocketsphinx` tag) and OpenAI (any server of the OpenAI-compatible
// POST /v1/audio/transcriptions: whisper.cpp, faster-whisper servers, cloud
// providers).
package speech

import (
	"context"
	"errors"
	"time"
)

// Rate is the sample rate of recordings (telephone band): the archive
// decodes to 8 kHz and engines receive it at that rate.
const Rate = 8000

// Sentinel errors.
var (
	// ErrNotBuiltIn is what the pocketsphinx engine answers in a binary
	// built without the `pocketsphinx` tag.
	ErrNotBuiltIn = errors.New("speech: pocketsphinx is not built into this binary (build with -tags pocketsphinx)")
	// ErrNotConfigured means no engine was chosen for the installation.
	ErrNotConfigured = errors.New("speech: no speech engine configured")
)

// Word is one recognised word; Start and End count from the start of the
// audio handed to the engine. Confidence is in [0,1]; engines that report
// none (OpenAI's own API) give 0.
type Word struct {
	Text       string        `json:"text"`
	Start      time.Duration `json:"-"`
	End        time.Duration `json:"-"`
	Confidence float64       `json:"confidence"`
}

// Engine transcribes one mono 16-bit PCM segment at the given sample rate.
// Implementations may be called from several goroutines.
type Engine interface {
	// Name identifies the engine in logs, metrics and the stored transcript.
	Name() string
	Transcribe(ctx context.Context, pcm []int16, rate int) ([]Word, error)
}
