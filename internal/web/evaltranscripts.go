package web

import (
	"context"
	"errors"

	"callrec/internal/evaluations"
	"callrec/internal/store"
)

// evalTranscripts gives the evaluations' automated QA the transcripts
// speech analytics stores, so a rule question is answered from what the
// agent said.
type evalTranscripts struct{ db *store.DB }

// Transcript returns the call's transcript lines as utterances.
func (e evalTranscripts) Transcript(ctx context.Context, tenantID, callID string) (evaluations.Transcript, bool, error) {
	_, lines, err := e.db.Q().GetTranscript(ctx, tenantID, callID)
	if errors.Is(err, store.ErrNotFound) {
		return evaluations.Transcript{}, false, nil
	}
	if err != nil {
		return evaluations.Transcript{}, false, err
	}
	t := evaluations.Transcript{Utterances: make([]evaluations.Utterance, len(lines))}
	for i, l := range lines {
		t.Utterances[i] = evaluations.Utterance{Channel: l.Channel, StartMS: l.StartMS, EndMS: l.EndMS, Text: l.Text}
	}
	return t, true, nil
}
