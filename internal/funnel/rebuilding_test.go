package funnel_test

import (
	"context"
	"testing"
	"time"

	"github.com/qualify/qualify/internal/funnel"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// While the rollup is being rebuilt the funnel reads the transitions and says so; afterwards
// it reads the rollup again.
func TestFunnelSaysWhileRebuilding(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := funnel.New(db.Client, db.Dialect)
		in := funnel.Input{Period: funnel.Period{From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}}
		source := func() funnel.Source {
			t.Helper()
			res, err := svc.Funnel(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			return res.Source
		}
		if got := source(); got == funnel.SourceTransitions {
			t.Fatalf("source %s before any rebuild", got)
		}
		done := svc.Rollups().Rebuilding()
		if got := source(); got != funnel.SourceTransitions {
			t.Errorf("source %s while rebuilding, want TRANSITIONS", got)
		}
		done()
		done()
		if got := source(); got == funnel.SourceTransitions {
			t.Errorf("source %s after the rebuild", got)
		}
	})
}
