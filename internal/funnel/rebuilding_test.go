package funnel_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/qualify/qualify/internal/apitest"
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

// While the rollup is rebuilt over more transitions than the funnel derives in time, a query
// answers UNAVAILABLE with a retry hint rather than reading them until its timeout (at 1M leads
// the transitions took seconds per answer); the rebuilt rollup answers again.
func TestFunnelUnavailableWhileRebuildingALargeHistory(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := funnel.New(db.Client, db.Dialect)
		buildWorld(t, ctx, db.Client, svc, rand.New(rand.NewPCG(3, 4)), 20, false)
		if _, err := svc.Rollups().Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		api := apitest.Start(t, db)
		api.App.Funnel.AnswerFromTransitionsUpTo(5) // the world has more
		vars := map[string]any{"input": funnel.Input{Period: funnel.Period{From: base, To: base.AddDate(1, 0, 0)}}}
		durations := `query($input: FunnelInput!) { stageDurations(input: $input) { source groups { stages { stage leads } } } }`
		done := api.App.Funnel.Rollups().Rebuilding()
		for _, q := range []string{funnelQuery, durations} {
			e := api.Fail(t, "UNAVAILABLE", q, vars)
			if after, _ := e.Extensions["retryAfter"].(float64); after <= 0 {
				t.Errorf("UNAVAILABLE without a retry hint: %v", e.Extensions)
			}
		}
		done()
		var got struct{ Funnel funnel.Result }
		api.Data(t, funnelQuery, vars, &got)
		if got.Funnel.Source != funnel.SourceRollup {
			t.Errorf("source %s after the rebuild, want ROLLUP", got.Funnel.Source)
		}
	})
}
