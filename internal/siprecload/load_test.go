package siprecload

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestRunRefusesBadConfig(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Concurrency: 1, CPS: 1, Duration: time.Second}, "must be positive"},
		{Config{Calls: 1, Concurrency: 1, CPS: 1, Duration: 2 * time.Second, MaxDuration: time.Second}, "shorter than the shortest"},
		{Config{For: time.Second, Concurrency: 0, CPS: 1, Duration: time.Second}, "must be positive"},
	} {
		if _, err := Run(context.Background(), c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Run(%+v) = %v, want an error saying %q", c.cfg, err, c.want)
		}
	}
}
