package evaluations

import (
	"context"
	"errors"
	"fmt"

	"callrec/internal/store"
)

// StoredTranscripts answers automatic questions from the transcripts
// speech analytics stored. Only a transcript made under an advanced
// license counts (auto-QA is an advanced speech analytics feature); any
// other call has none, and its rule questions are answered by hand.
type StoredTranscripts struct {
	DB *store.DB
}

// Transcript returns the call's transcript if automatic answers may use it.
func (s StoredTranscripts) Transcript(ctx context.Context, tenantID, callID string) (Transcript, bool, error) {
	t, lines, err := s.DB.Q().GetTranscript(ctx, tenantID, callID)
	if errors.Is(err, store.ErrNotFound) {
		return Transcript{}, false, nil
	}
	if err != nil {
		return Transcript{}, false, fmt.Errorf("evaluations: transcript: %w", err)
	}
	if t.LicenseType != "advanced" {
		return Transcript{}, false, nil
	}
	out := Transcript{Utterances: make([]Utterance, len(lines))}
	for i, l := range lines {
		out.Utterances[i] = Utterance{Channel: l.Channel, StartMS: l.StartMS, EndMS: l.EndMS, Text: l.Text}
	}
	return out, true, nil
}
