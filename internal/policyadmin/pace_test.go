package policyadmin

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// The pace check stops a simulation only once its pace is known and clearly misses the deadline.
func TestPaceCheck(t *testing.T) {
	for _, c := range []struct {
		name          string
		elapsed, left time.Duration // since start; from start to the deadline
		done, total   int
		stop          bool
	}{
		{"too early to tell", 500 * time.Millisecond, 15 * time.Second, 1000, 1_000_000, false},
		{"on pace", 2 * time.Second, 15 * time.Second, 20_000, 100_000, false},
		{"within the slack", 2 * time.Second, 15 * time.Second, 12_000, 100_000, false},
		{"clearly late", 2 * time.Second, 15 * time.Second, 10_000, 1_000_000, true},
		{"late after 2000 leads", 300 * time.Millisecond, time.Second, 2000, 100_000, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now().Add(-c.elapsed)
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			paceCheck(start, start.Add(c.left), cancel)(c.done, c.total)
			var slow *TooSlowError
			if stopped := errors.As(context.Cause(ctx), &slow); stopped != c.stop {
				t.Fatalf("stopped = %v (%v), want %v", stopped, context.Cause(ctx), c.stop)
			}
			if c.stop && (slow.Leads != c.total || slow.Allowed != c.left || !strings.Contains(slow.Error(), "startSimulation")) {
				t.Errorf("error %+v", slow)
			}
		})
	}
}
