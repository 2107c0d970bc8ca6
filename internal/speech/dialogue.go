package speech

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Channel names the party a line was spoken by: the recording's left
// channel is the recorded user (the agent), the right everyone else.
type Channel string

// The two channels of a recording.
const (
	Agent Channel = "agent"
	Other Channel = "other"
)

// Line is one voiced segment of one channel with its words, times counted
// from the start of the call.
type Line struct {
	Channel Channel
	Start   time.Duration
	End     time.Duration
	Text    string
	Words   []Word
}

// Progress is told how many of a call's segments are done, of how many.
type Progress func(done, total int)

// Transcribe cuts both channels (mono PCM at rate) into voiced segments,
// transcribes each with eng and returns the lines of both parties in the
// order they were spoken. Segments where the engine hears nothing give no
// line.
func Transcribe(ctx context.Context, eng Engine, agent, other []int16, rate int, progress Progress) ([]Line, error) {
	type job struct {
		ch   Channel
		pcm  []int16
		span Span
	}
	var jobs []job
	for _, c := range []struct {
		ch  Channel
		pcm []int16
	}{{Agent, agent}, {Other, other}} {
		for _, s := range Voiced(c.pcm, rate) {
			jobs = append(jobs, job{c.ch, c.pcm, s})
		}
	}
	var lines []Line
	for i, j := range jobs {
		if progress != nil {
			progress(i, len(jobs))
		}
		words, err := eng.Transcribe(ctx, j.pcm[j.span.Start:j.span.End], rate)
		if err != nil {
			return nil, fmt.Errorf("speech: %s segment at %v: %w", j.ch, samplesToDuration(j.span.Start, rate), err)
		}
		if len(words) == 0 {
			continue
		}
		off := samplesToDuration(j.span.Start, rate)
		texts := make([]string, len(words))
		for k := range words {
			words[k].Start += off
			words[k].End += off
			texts[k] = words[k].Text
		}
		lines = append(lines, Line{Channel: j.ch, Start: words[0].Start, End: words[len(words)-1].End,
			Text: strings.Join(texts, " "), Words: words})
	}
	if progress != nil {
		progress(len(jobs), len(jobs))
	}
	sort.SliceStable(lines, func(a, b int) bool { return lines[a].Start < lines[b].Start })
	return lines, nil
}

func samplesToDuration(n, rate int) time.Duration {
	return time.Duration(n) * time.Second / time.Duration(rate)
}

// SplitStereo separates interleaved 16-bit stereo samples into the left
// (recorded party) and right channels.
func SplitStereo(interleaved []int16) (left, right []int16) {
	n := len(interleaved) / 2
	left, right = make([]int16, n), make([]int16, n)
	for i := range n {
		left[i], right[i] = interleaved[2*i], interleaved[2*i+1]
	}
	return left, right
}
