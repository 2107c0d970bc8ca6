package clock

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestFake(t *testing.T) {
	start := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	c := NewFake(start)
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
