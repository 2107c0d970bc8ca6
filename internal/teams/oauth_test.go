package teams

import (
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// TestExpiryOnClock: x/oauth2 stamps a token's expiry from the wall clock;
// callrec renews on its own clock, so the expiry is restated there: an
// hour after the clock's now, whatever the wall clock says. (A test clock
// hours behind the wall clock once kept an expired token "valid".)
func TestExpiryOnClock(t *testing.T) {
	clock := time.Now().Add(-72 * time.Hour) // days behind the wall clock, as a pinned test clock once was
	now := func() time.Time { return clock }
	got := expiryOn(now, &oauth2.Token{AccessToken: "x", Expiry: time.Now().Add(time.Hour)})
	if d := got.Sub(clock.Add(time.Hour)); d < -time.Minute || d > time.Minute {
		t.Errorf("expiry %v, want about %v", got, clock.Add(time.Hour))
	}
	if got := expiryOn(now, &oauth2.Token{AccessToken: "x"}); !got.IsZero() {
		t.Errorf("a token without expiry got %v", got)
	}
}
