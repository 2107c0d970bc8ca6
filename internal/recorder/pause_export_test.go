package recorder

import "context"

// StartPauseWatch runs the pause poll for a test until ctx ends, until Run
// starts it itself.
func StartPauseWatch(ctx context.Context, r *Recorder) { go r.watchPauses(ctx) }
