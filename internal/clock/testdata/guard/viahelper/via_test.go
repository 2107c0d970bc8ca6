package viahelper

import (
	"testing"
	"time"

	"guardfixture/helper"
)

var pinned = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func TestThroughHelper(t *testing.T) {
	_ = helper.Jar()
	_ = time.Unix(1795000000, 0)
	_ = time.Date(pinned.Year(), 1, 1, 0, 0, 0, 0, time.UTC) // not constant: derived from a value
}
