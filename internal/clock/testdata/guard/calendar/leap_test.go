package calendar

import (
	"testing"
	"time"

	"callrec/internal/clock"
)

// A pinned date where nothing reads the wall clock is allowed.
func TestLeapDay(t *testing.T) {
	c := clock.At(time.Date(2028, 2, 29, 23, 59, 0, 0, time.UTC))
	_ = c
}
