//go:build pocketsphinx

package speech

/*
#cgo pkg-config: pocketsphinx
#include <stdlib.h>
#include <pocketsphinx.h>

// cmd_ln_init is variadic, which cgo cannot call.
static ps_decoder_t *callrec_ps_new(const char *hmm, const char *lm, const char *dict) {
	cmd_ln_t *config = cmd_ln_init(NULL, ps_args(), TRUE,
		"-hmm", hmm, "-lm", lm, "-dict", dict, "-logfn", "/dev/null", NULL);
	if (config == NULL) return NULL;
	ps_decoder_t *ps = ps_init(config);
	cmd_ln_free_r(config);
	return ps;
}

static double callrec_ps_conf(ps_decoder_t *ps, ps_seg_t *seg) {
	int32 ascr, lscr, lback;
	int32 prob = ps_seg_prob(seg, &ascr, &lscr, &lback);
	return logmath_exp(ps_get_logmath(ps), prob);
}
*/
import "C"

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// SphinxBuiltIn tells whether this binary carries pocketsphinx.
const SphinxBuiltIn = true

// sphinx holds decoders; a decoder is not safe for concurrent use and takes
// ~100 MB and a second to load, so they are pooled rather than made per call.
type sphinx struct {
	cfg  SphinxConfig
	mu   sync.Mutex
	idle []*C.ps_decoder_t
}

// NewSphinx loads one decoder to prove the model is there and returns the
// engine. Audio at 8 kHz is upsampled to the model's 16 kHz.
func NewSphinx(cfg SphinxConfig) (Engine, error) {
	s := &sphinx{cfg: cfg}
	ps, err := s.load()
	if err != nil {
		return nil, err
	}
	s.idle = append(s.idle, ps)
	return s, nil
}

func (s *sphinx) Name() string { return "pocketsphinx" }

func (s *sphinx) load() (*C.ps_decoder_t, error) {
	dir := s.cfg.Dir()
	hmm := C.CString(filepath.Join(dir, "en-us"))
	lm := C.CString(filepath.Join(dir, "en-us.lm.bin"))
	dict := C.CString(filepath.Join(dir, "cmudict-en-us.dict"))
	defer C.free(unsafe.Pointer(hmm))
	defer C.free(unsafe.Pointer(lm))
	defer C.free(unsafe.Pointer(dict))
	ps := C.callrec_ps_new(hmm, lm, dict)
	if ps == nil {
		return nil, fmt.Errorf("speech: pocketsphinx could not load the model in %s", dir)
	}
	return ps, nil
}

func (s *sphinx) take() (*C.ps_decoder_t, error) {
	s.mu.Lock()
	if n := len(s.idle); n > 0 {
		ps := s.idle[n-1]
		s.idle = s.idle[:n-1]
		s.mu.Unlock()
		return ps, nil
	}
	s.mu.Unlock()
	return s.load()
}

func (s *sphinx) give(ps *C.ps_decoder_t) {
	s.mu.Lock()
	s.idle = append(s.idle, ps)
	s.mu.Unlock()
}

// frameDuration is pocketsphinx's default frame rate (-frate 100).
const frameDuration = 10 * time.Millisecond

// Transcribe decodes the segment as one utterance.
func (s *sphinx) Transcribe(ctx context.Context, pcm []int16, rate int) ([]Word, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	switch rate {
	case 8000:
		pcm = Upsample2(pcm)
	case 16000:
	default:
		return nil, fmt.Errorf("speech: pocketsphinx takes 8 or 16 kHz audio, not %d Hz", rate)
	}
	if len(pcm) == 0 {
		return nil, nil
	}
	ps, err := s.take()
	if err != nil {
		return nil, err
	}
	defer s.give(ps)
	if C.ps_start_utt(ps) < 0 {
		return nil, fmt.Errorf("speech: pocketsphinx: start utterance failed")
	}
	if C.ps_process_raw(ps, (*C.int16)(unsafe.Pointer(&pcm[0])), C.size_t(len(pcm)), C.FALSE, C.TRUE) < 0 {
		C.ps_end_utt(ps)
		return nil, fmt.Errorf("speech: pocketsphinx: decoding failed")
	}
	if C.ps_end_utt(ps) < 0 {
		return nil, fmt.Errorf("speech: pocketsphinx: end utterance failed")
	}
	var score C.int32
	if C.ps_get_hyp(ps, &score) == nil {
		return nil, nil
	}
	var words []Word
	for seg := C.ps_seg_iter(ps); seg != nil; seg = C.ps_seg_next(seg) {
		w := C.GoString(C.ps_seg_word(seg))
		if skipToken(w) {
			continue
		}
		var sf, ef C.int
		C.ps_seg_frames(seg, &sf, &ef)
		words = append(words, Word{Text: cleanWord(w), Start: time.Duration(sf) * frameDuration,
			End: time.Duration(ef+1) * frameDuration, Confidence: float64(C.callrec_ps_conf(ps, seg))})
	}
	return words, nil
}

// skipToken drops the decoder's silence and filler tokens (<s>, </s>,
// <sil>, [NOISE], ++BREATH++…).
func skipToken(w string) bool {
	return w == "" || strings.HasPrefix(w, "<") || strings.HasPrefix(w, "[") || strings.HasPrefix(w, "++")
}

// cleanWord removes the alternate-pronunciation suffix: "read(2)" → "read".
func cleanWord(w string) string {
	if i := strings.IndexByte(w, '('); i > 0 {
		return w[:i]
	}
	return w
}
