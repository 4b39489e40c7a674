package funnel_test

import (
	"context"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/stage"
	"github.com/qualify/qualify/ent/stagetransition"
	"github.com/qualify/qualify/internal/funnel"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// TestPeriodBoundsToTheMicrosecond: a lead that reached a stage at the very microsecond a period
// starts is in it, one that reached it a microsecond (on SQLite a millisecond) before its end
// too, one at the microsecond it ends is not, in the funnel
// by the cohort that entered the first stage and in the conversion trend, on both databases.
// Reach times are seconds as floats, so a bound must become the same float as the reach time.
func TestPeriodBoundsToTheMicrosecond(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := db.Client
		svc := funnel.New(c, db.Dialect)
		open := c.Stage.Query().Where(stage.KindEQ(stage.KindOPEN)).Order(ent.Asc(stage.FieldPosition)).AllX(ctx)
		first, second := open[0], open[1]
		// SQLite's date functions keep milliseconds; PostgreSQL keeps microseconds.
		tick := time.Microsecond
		if db.Dialect == dialect.SQLite {
			tick = time.Millisecond
		}
		start := time.Date(2026, 3, 9, 10, 11, 12, 345678000, time.UTC) // a Monday
		end := start.Add(36*time.Hour + 987654*time.Microsecond)
		// Reached the second stage at the start, a tick before the end, at the end.
		for _, at := range []time.Time{start, end.Add(-tick), end} {
			created := at.Add(-time.Hour)
			l := c.Lead.Create().SetSource(lead.SourceWEB_FORM).SetCreatedAt(created).SetStageID(second.ID).
				SetFurthestStageID(second.ID).SetStageEnteredAt(at).SaveX(ctx)
			tx, err := c.Tx(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, tr := range []*ent.StageTransitionCreate{
				tx.StageTransition.Create().SetLeadID(l.ID).SetToStageID(first.ID).SetOccurredAt(created),
				tx.StageTransition.Create().SetLeadID(l.ID).SetToStageID(second.ID).SetOccurredAt(at).
					SetFromStageID(first.ID).SetFromEnteredAt(created),
			} {
				row := tr.SetActorKind(stagetransition.ActorKindSYSTEM).SetTrigger(stagetransition.TriggerIMPORT).SaveX(ctx)
				if err := svc.Rollups().Record(ctx, tx.Client(), row); err != nil {
					t.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		period := funnel.Period{From: start, To: end}
		res, err := svc.Funnel(ctx, funnel.Input{Stages: []string{second.Key}, Period: period, Cohort: ptr(funnel.CohortEnteredFirstStage)})
		if err != nil {
			t.Fatal(err)
		}
		if res.Source != funnel.SourceRollup || len(res.Groups) != 1 || res.Groups[0].Steps[0].Reached != 2 {
			t.Fatalf("funnel from %s: %s, %d groups, first %+v; want 2 leads from the rollup (the start and a tick before the end)", second.Key, res.Source, len(res.Groups), res.Groups[0].Steps[0])
		}
		trend, err := svc.ConversionTrend(ctx, funnel.TrendInput{From: second.Key, To: open[2].Key, Period: period, Interval: funnel.IntervalMonth})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, p := range trend.Points {
			n += p.ReachedFrom
		}
		if n != 2 {
			t.Fatalf("trend from %s: %d leads in %+v, want 2", second.Key, n, trend.Points)
		}
	})
}
