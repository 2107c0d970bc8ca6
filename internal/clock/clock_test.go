package clock

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestFake(t *testing.T) {
	t.Setenv(StartEnv, "")
	c := NewFake()
	start := c.Now()
	if d := time.Since(start); d < 0 || d > 2*time.Minute {
		t.Fatalf("a new fake clock stands at %v, %v from the real now", start, d)
	}
	c.Advance(90 * time.Second)
	if got := c.Now().Sub(start); got != 90*time.Second {
		t.Fatalf("advanced %s, want 90s", got)
	}
}

// TestEvery: fn runs on each tick, not at once, and never after ctx ends.
func TestEvery(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int32
	done := make(chan struct{})
	go func() { Every(ctx, time.Millisecond, func() { n.Add(1) }); close(done) }()
	for n.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	after := n.Load()
	time.Sleep(10 * time.Millisecond)
	if n.Load() != after {
		t.Errorf("fn ran after ctx ended: %d then %d", after, n.Load())
	}
	var ran atomic.Bool
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	Every(ctx2, time.Hour, func() { ran.Store(true) })
	if ran.Load() {
		t.Error("fn ran at once")
	}
}

// TestStartEnv: CALLREC_TEST_NOW moves every new fake clock to its instant.
func TestStartEnv(t *testing.T) {
	t.Setenv(StartEnv, "2031-02-28T23:59:00+01:00")
	if got, want := NewFake().Now(), time.Date(2031, 2, 28, 22, 59, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("clock at %v, want %v", got, want)
	}
	t.Setenv(StartEnv, "next tuesday")
	defer func() {
		if recover() == nil {
			t.Error("a malformed CALLREC_TEST_NOW did not panic")
		}
	}()
	Start()
}
