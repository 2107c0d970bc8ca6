package recorder

import "context"

// EncoderThreads are the ids of the recorder's encoder threads.
func (r *Recorder) EncoderThreads() []int {
	r.encoderMu.Lock()
	defer r.encoderMu.Unlock()
	return append([]int(nil), r.encoderTIDs...)
}

// Threads are the ids of the worker's encoder threads.
func (w *EncodeWorker) Threads() []int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]int(nil), w.tids...)
}

// SetBeforeUpload runs f after each encode, before the upload (a crash).
func (w *EncodeWorker) SetBeforeUpload(f func(ctx context.Context)) { w.beforeUpload = f }
