package recorder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"callrec/internal/blob"
	"callrec/internal/store"
)

// ErrNotReady means a call has no playable audio yet (still active, or not
// recorded).
var ErrNotReady = errors.New("recorder: no audio for this call yet")

// Library finds a call's audio for playback: the stored recording once it
// is uploaded, the spooled stereo mix until then (so a call is playable the
// moment it ends). The web role needs the spool directory only when it runs
// beside the recorder.
type Library struct {
	Spool string
	Blobs blob.Store
	// Nodes, when set, finds a finished call's audio in the spool of the
	// recorder node named on its row (Open answers ErrElsewhere; then
	// ProxySpool serves it).
	Nodes *Nodes
}

// Audio is a playable recording.
type Audio struct {
	io.ReadSeekCloser
	ContentType string
	Name        string
}

// Open returns the call's audio; wav asks for PCM WAV instead of Ogg Opus.
func (l *Library) Open(ctx context.Context, c store.Call, wav bool) (*Audio, error) {
	if c.BlobKey != "" {
		obj, err := l.Blobs.Open(ctx, c.BlobKey)
		if err != nil {
			return nil, err
		}
		if !wav {
			return &Audio{ReadSeekCloser: obj, ContentType: "audio/ogg", Name: c.ID + ".opus"}, nil
		}
		defer obj.Close()
		tmp, err := os.CreateTemp("", "callrec-wav-*")
		if err != nil {
			return nil, fmt.Errorf("recorder: %w", err)
		}
		os.Remove(tmp.Name())
		if _, err := DecodeToWAV(obj, tmp); err != nil {
			tmp.Close()
			return nil, err
		}
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			tmp.Close()
			return nil, err
		}
		return &Audio{ReadSeekCloser: tmp, ContentType: "audio/wav", Name: c.ID + ".wav"}, nil
	}
	if l.Spool != "" && c.State != store.CallActive {
		f, err := os.Open(filepath.Join(l.Spool, c.ID, mixFile))
		if err == nil {
			return &Audio{ReadSeekCloser: f, ContentType: "audio/wav", Name: c.ID + ".wav"}, nil
		}
	}
	if l.Nodes != nil && c.Recorded && c.State != store.CallActive && c.RecorderNode != "" && c.RecorderNode != l.Nodes.Self {
		return nil, ErrElsewhere
	}
	return nil, ErrNotReady
}
