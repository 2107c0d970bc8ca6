package analytics

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"callrec/internal/account"
	"callrec/internal/recorder"
	"callrec/internal/store"
)

// silenceGuardMS widens each span: word times from a recogniser are
// approximate, and a digit half-heard is still a digit.
const silenceGuardMS = 150

// silence replaces the call's stored audio by a version in which the
// spans are silent on their channel (left: the recorded user, right: the
// other party), then deletes the original. The row points at the new
// version before the old one goes, so a failure leaves a playable call.
func (s *Service) silence(ctx context.Context, tenantID, callID string, spans []Span) error {
	if s.Blobs == nil {
		return fmt.Errorf("no blob store on this node")
	}
	c, err := s.DB.Q().GetCall(ctx, tenantID, callID)
	if err != nil {
		return err
	}
	if c.BlobKey == "" {
		return fmt.Errorf("call %s has no stored audio", callID)
	}
	pcm, err := s.decode(ctx, c.BlobKey)
	if err != nil {
		return err
	}
	SilenceSpans(pcm, spans)
	raw := make([]byte, 2*len(pcm))
	for i, v := range pcm {
		binary.LittleEndian.PutUint16(raw[2*i:], uint16(v))
	}
	out, err := os.CreateTemp("", "callrec-redacted-*.opus")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	if err := recorder.EncodePCM(bytes.NewReader(raw), out, recorder.DefaultEncode); err != nil {
		return err
	}
	if err := out.Sync(); err != nil {
		return err
	}
	if _, err := out.Seek(0, io.SeekStart); err != nil {
		return err
	}
	h := sha256.New()
	size, err := io.Copy(h, out)
	if err != nil {
		return err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	key := path.Join(path.Dir(c.BlobKey), c.ID+".redacted-"+sum[:12]+".opus")
	if err := s.Blobs.Put(ctx, key, out.Name()); err != nil {
		return err
	}
	err = s.DB.InTx(ctx, func(tx store.Q) error {
		if err := tx.SetCallAudio(ctx, tenantID, callID, key, c.AudioFormat, sum, size); err != nil {
			return err
		}
		counts := map[string]int{}
		for _, sp := range spans {
			counts[sp.Pattern]++
		}
		return s.Accounts.Audit(ctx, tx, account.System, tenantID, "recording.redact", "call", callID,
			map[string]any{"spans": len(spans), "patterns": counts, "previous_sha256": c.SHA256, "sha256": sum})
	})
	if err != nil {
		_ = s.Blobs.Delete(ctx, key)
		return err
	}
	if err := s.Blobs.Delete(ctx, c.BlobKey); err != nil {
		// The row already points at the redacted version; the original
		// must still go, so this is loud (a WORM bucket refuses it).
		s.log().Error("analytics: the unredacted original could not be deleted", "tenant", tenantID, "call", callID, "key", c.BlobKey, "err", err)
		return fmt.Errorf("delete the unredacted original: %w", err)
	}
	return nil
}

// decode reads a stored recording as interleaved stereo samples.
func (s *Service) decode(ctx context.Context, key string) ([]int16, error) {
	obj, err := s.Blobs.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	tmp, err := os.CreateTemp("", "callrec-redact-*.wav")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	samples, err := recorder.DecodeToWAV(obj, tmp)
	if err != nil {
		return nil, err
	}
	if _, err := tmp.Seek(44, io.SeekStart); err != nil {
		return nil, err
	}
	pcm := make([]int16, 2*samples)
	if err := binary.Read(tmp, binary.LittleEndian, pcm); err != nil {
		return nil, err
	}
	return pcm, nil
}

// SilenceSpans zeroes each span, widened by a guard, on its channel of
// interleaved stereo 8 kHz samples.
func SilenceSpans(pcm []int16, spans []Span) {
	frames := len(pcm) / 2
	for _, sp := range spans {
		ch := 1
		if strings.EqualFold(sp.Channel, ChannelAgent) {
			ch = 0
		}
		from := max(0, int((sp.StartMS-silenceGuardMS)*8))
		to := min(frames, int((sp.EndMS+silenceGuardMS)*8))
		for i := from; i < to; i++ {
			pcm[2*i+ch] = 0
		}
	}
}
