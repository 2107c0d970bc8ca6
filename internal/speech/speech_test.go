package speech

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// tone returns seconds of a 300 Hz tone (amplitude amp) at Rate.
func tone(seconds float64, amp float64) []int16 {
	n := int(seconds * Rate)
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(amp * math.Sin(2*math.Pi*300*float64(i)/Rate))
	}
	return out
}

func silence(seconds float64) []int16 { return make([]int16, int(seconds*Rate)) }

func concat(parts ...[]int16) []int16 {
	var out []int16
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestVoiced(t *testing.T) {
	tests := []struct {
		name  string
		pcm   []int16
		spans [][2]float64 // seconds, ±0.2 s
	}{
		{"silence", silence(3), nil},
		{"too short", concat(silence(1), tone(0.1, 8000), silence(1)), nil},
		{"two phrases", concat(silence(1), tone(1, 8000), silence(2), tone(1.5, 8000), silence(1)), [][2]float64{{1, 2}, {4, 5.5}}},
		{"short pause kept inside", concat(silence(1), tone(1, 8000), silence(0.3), tone(1, 8000), silence(1)), [][2]float64{{1, 3.3}}},
		{"quiet hiss is not speech", concat(tone(3, 100)), nil},
		{"long phrase cut", concat(tone(65, 8000)), [][2]float64{{0, 30}, {30, 60}, {60, 65}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Voiced(tt.pcm, Rate)
			if len(got) != len(tt.spans) {
				t.Fatalf("spans = %v, want %v", got, tt.spans)
			}
			for i, s := range got {
				start, end := float64(s.Start)/Rate, float64(s.End)/Rate
				if math.Abs(start-tt.spans[i][0]) > 0.2 || math.Abs(end-tt.spans[i][1]) > 0.2 {
					t.Errorf("span %d = %.2f–%.2f s, want %.2f–%.2f", i, start, end, tt.spans[i][0], tt.spans[i][1])
				}
			}
		})
	}
}

func TestUpsample2(t *testing.T) {
	got := Upsample2([]int16{0, 100, -100})
	want := []int16{0, 50, 100, 0, -100, -100}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

// fakeEngine "hears" one word per segment, named by the segment's length.
type fakeEngine struct {
	calls []int
	err   error
}

func (f *fakeEngine) Name() string { return "fake" }
func (f *fakeEngine) Transcribe(_ context.Context, pcm []int16, rate int) ([]Word, error) {
	f.calls = append(f.calls, len(pcm))
	if f.err != nil {
		return nil, f.err
	}
	return []Word{{Text: "w", Start: 100 * time.Millisecond, End: 300 * time.Millisecond, Confidence: 0.5}}, nil
}

func TestTranscribeDialogue(t *testing.T) {
	// The agent speaks at 1 s and 6 s, the other party at 3 s.
	agent := concat(silence(1), tone(1, 8000), silence(4), tone(1, 8000), silence(1))
	other := concat(silence(3), tone(1.5, 8000), silence(4.5))
	eng := &fakeEngine{}
	var progress []int
	lines, err := Transcribe(context.Background(), eng, agent, other, Rate, func(done, total int) { progress = append(progress, done*10+total) })
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, l := range lines {
		order = append(order, string(l.Channel))
	}
	if got := strings.Join(order, ","); got != "agent,other,agent" {
		t.Fatalf("order = %s", got)
	}
	// Word times are shifted to the call's timeline: segment start (voice
	// minus padding) plus the engine's 100 ms.
	if d := lines[1].Start - (3*time.Second - padMS*time.Millisecond + 100*time.Millisecond); d < -40*time.Millisecond || d > 40*time.Millisecond {
		t.Errorf("other line starts at %v", lines[1].Start)
	}
	if len(progress) != 4 || progress[3] != 33 {
		t.Errorf("progress = %v, want 0/3 … 3/3", progress)
	}
	if _, err := Transcribe(context.Background(), &fakeEngine{err: errors.New("boom")}, agent, other, Rate, nil); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("engine error = %v", err)
	}
}

func TestSplitStereo(t *testing.T) {
	l, r := SplitStereo([]int16{1, 2, 3, 4, 5})
	if len(l) != 2 || l[0] != 1 || l[1] != 3 || r[0] != 2 || r[1] != 4 {
		t.Fatalf("left %v right %v", l, r)
	}
}

func TestNoSphinxSaysSo(t *testing.T) {
	if SphinxBuiltIn {
		t.Skip("built with pocketsphinx")
	}
	if _, err := NewSphinx(SphinxConfig{}); !errors.Is(err, ErrNotBuiltIn) {
		t.Fatalf("err = %v, want ErrNotBuiltIn", err)
	}
}
