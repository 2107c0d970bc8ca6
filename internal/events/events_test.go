package events

import (
	"context"
	"testing"
	"time"
)

func TestLocalBusScopesByTenantAndNeverBlocks(t *testing.T) {
	b := NewLocal()
	a, stopA := b.Subscribe("A")
	other, stopB := b.Subscribe("B")
	defer stopB()
	at := time.Unix(0, 0)
	b.Publish(context.Background(), New("A", "call.started", map[string]string{"id": "1"}, at))
	select {
	case e := <-a:
		if e.Kind != "call.started" || string(e.Data) != `{"id":"1"}` {
			t.Fatalf("got %+v", e)
		}
	default:
		t.Fatal("subscriber of A got nothing")
	}
	select {
	case e := <-other:
		t.Fatalf("tenant B saw tenant A's event %+v", e)
	default:
	}
	// A slow subscriber does not block the publisher and learns it lagged.
	for i := 0; i < bufferPerSubscriber*3; i++ {
		b.Publish(context.Background(), New("A", "tick", i, at))
	}
	var lagged bool
	for len(a) > 0 {
		if e := <-a; e.Kind == "lagged" {
			lagged = true
		}
	}
	if !lagged {
		t.Fatal("no lagged marker after overflow")
	}
	stopA()
	stopA()
	if _, ok := <-a; ok {
		t.Fatal("channel still open after unsubscribe")
	}
	b.Publish(context.Background(), New("A", "after", nil, at)) // must not panic on a closed channel
}
