package jar

import (
	"net/http/cookiejar"
	"testing"
	"time"

	"callrec/internal/clock"
)

func TestPinnedWithJar(t *testing.T) {
	jar, _ := cookiejar.New(nil)
	c := clock.At(time.Now().Add(-time.Hour))
	_, _ = jar, c
}
