package speech

import (
	"math"
	"sort"
)

// Span is a voiced stretch of a channel, in samples [Start, End).
type Span struct{ Start, End int }

// VAD settings: 20 ms frames; a frame is voiced when its RMS is well above
// the channel's noise floor (its 10th percentile frame) and above an absolute
// floor that silence and comfort noise through G.711 and Opus stay under.
// Pauses shorter than mergeGap stay inside one segment, so an engine sees
// whole phrases; segments are padded so word edges are not clipped, and cut
// at maxSegment so one engine call stays bounded.
const (
	frameMS     = 20
	absFloorRMS = 150.0
	floorFactor = 4.0
	mergeGapMS  = 600
	minVoiceMS  = 200
	padMS       = 150
	maxSegment  = 30 // seconds
)

// Voiced finds the voiced segments of one channel.
func Voiced(pcm []int16, rate int) []Span {
	frame := rate * frameMS / 1000
	if frame == 0 || len(pcm) < frame {
		return nil
	}
	n := len(pcm) / frame
	rms := make([]float64, n)
	for i := range n {
		var sum float64
		for _, s := range pcm[i*frame : (i+1)*frame] {
			sum += float64(s) * float64(s)
		}
		rms[i] = math.Sqrt(sum / float64(frame))
	}
	sorted := append([]float64(nil), rms...)
	sort.Float64s(sorted)
	// Half the loud frames' level keeps a channel that is voiced throughout
	// (its floor is its speech) from being taken as all noise.
	threshold := math.Max(absFloorRMS, math.Min(floorFactor*sorted[n/10], sorted[n*9/10]/2))
	var spans []Span
	gap := mergeGapMS / frameMS
	for i := 0; i < n; {
		if rms[i] < threshold {
			i++
			continue
		}
		start, end, quiet := i, i+1, 0
		for j := i + 1; j < n && quiet <= gap; j++ {
			if rms[j] >= threshold {
				end, quiet = j+1, 0
			} else {
				quiet++
			}
		}
		i = end + 1
		if (end-start)*frameMS < minVoiceMS {
			continue
		}
		pad := padMS / frameMS
		spans = append(spans, Span{Start: max(0, start-pad) * frame, End: min(n, end+pad) * frame})
	}
	return splitLong(mergeOverlaps(spans), rate*maxSegment)
}

func mergeOverlaps(in []Span) []Span {
	var out []Span
	for _, s := range in {
		if k := len(out) - 1; k >= 0 && s.Start <= out[k].End {
			out[k].End = max(out[k].End, s.End)
			continue
		}
		out = append(out, s)
	}
	return out
}

func splitLong(in []Span, limit int) []Span {
	var out []Span
	for _, s := range in {
		for s.End-s.Start > limit {
			out = append(out, Span{s.Start, s.Start + limit})
			s.Start += limit
		}
		out = append(out, s)
	}
	return out
}

// Upsample2 doubles the sample rate by linear interpolation: pocketsphinx's
// en-us acoustic model is trained at 16 kHz, and telephone audio carries
// nothing above 4 kHz for a better filter to keep.
func Upsample2(in []int16) []int16 {
	out := make([]int16, 2*len(in))
	for i, s := range in {
		out[2*i] = s
		next := s
		if i+1 < len(in) {
			next = in[i+1]
		}
		out[2*i+1] = int16((int32(s) + int32(next)) / 2)
	}
	return out
}
