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
	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/funnel"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// TestPeriodBoundsToTheMicrosecond: a lead that entered a stage at the very microsecond a period
// starts is in it, one that entered it a microsecond (on SQLite a millisecond) before its end
// too, one at the microsecond it ends is not: in the funnel and the stage durations of the
// cohort that entered the first stage and in the conversion trend, asked over GraphQL, on both
// databases. Reach times are seconds as floats, so a bound must become the same float.
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
		// Created in the first stage at the start, a tick before the end, at the end; in the
		// second an hour later, which closes a stay in the first.
		for _, at := range []time.Time{start, end.Add(-tick), end} {
			moved := at.Add(time.Hour)
			l := c.Lead.Create().SetSource(lead.SourceWEB_FORM).SetCreatedAt(at).SetStageID(second.ID).
				SetFurthestStageID(second.ID).SetStageEnteredAt(moved).SaveX(ctx)
			tx, err := c.Tx(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, tr := range []*ent.StageTransitionCreate{
				tx.StageTransition.Create().SetLeadID(l.ID).SetToStageID(first.ID).SetOccurredAt(at),
				tx.StageTransition.Create().SetLeadID(l.ID).SetToStageID(second.ID).SetOccurredAt(moved).
					SetFromStageID(first.ID).SetFromEnteredAt(at),
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
		// Asked over GraphQL, as a screen asks: the times keep their microseconds in JSON.
		api := apitest.Start(t, db)
		vars := func(in any) map[string]any { return map[string]any{"input": in} }
		period := funnel.Period{From: start, To: end}
		entered := funnel.Input{Stages: []string{first.Key, second.Key}, Period: period, Cohort: ptr(funnel.CohortEnteredFirstStage)}
		var f struct{ Funnel funnel.Result }
		api.Data(t, funnelQuery, vars(entered), &f)
		if f.Funnel.Source != funnel.SourceRollup || len(f.Funnel.Groups) != 1 || f.Funnel.Groups[0].Steps[0].Reached != 2 {
			t.Errorf("funnel: %s %s; want 2 leads from the rollup (the start and a tick before the end)", f.Funnel.Source, mustJSON(f.Funnel.Groups))
		}
		var d struct{ StageDurations funnel.Durations }
		api.Data(t, durationsQuery, vars(entered), &d)
		if len(d.StageDurations.Groups) != 1 || d.StageDurations.Groups[0].Stages[0].Leads != 2 {
			t.Errorf("stageDurations: %s; want 2 leads' stays in %s", mustJSON(d.StageDurations.Groups), first.Key)
		}
		var tr struct{ ConversionTrend funnel.Trend }
		api.Data(t, trendQuery, vars(funnel.TrendInput{From: first.Key, To: second.Key, Period: period, Interval: funnel.IntervalMonth}), &tr)
		n := 0
		for _, p := range tr.ConversionTrend.Points {
			n += p.ReachedFrom
		}
		if n != 2 {
			t.Errorf("trend: %d leads in %s, want 2", n, mustJSON(tr.ConversionTrend.Points))
		}
	})
}
