package funnel_test

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/internal/funnel"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// randomInput draws a cohort, a period, a subsequence of the funnel and a grouping.
func (w *world) randomInput(rng *rand.Rand) funnel.Input {
	var in funnel.Input
	start := base.Add(time.Duration(rng.IntN(100)-10) * 24 * time.Hour)
	in.Period = funnel.Period{From: start, To: start.Add(time.Duration(20+rng.IntN(200)) * 24 * time.Hour)}
	if rng.IntN(2) == 0 {
		in.Cohort = ptr(funnel.CohortEnteredFirstStage)
	}
	if rng.IntN(4) > 0 {
		for _, s := range w.funnel {
			if rng.IntN(3) > 0 {
				in.Stages = append(in.Stages, s.Key)
			}
		}
	}
	dims := []funnel.Dimension{funnel.DimSource, funnel.DimOwner, funnel.DimTeam, funnel.DimIndustry, funnel.DimRegion, funnel.DimCohortMonth}
	for _, i := range rng.Perm(len(dims))[:rng.IntN(3)] {
		in.GroupBy = append(in.GroupBy, dims[i])
	}
	return in
}

func TestFunnelMatchesBruteForce(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seed := uint64(7) // FUNNEL_PROPERTY_SEED explores other histories
		if v, err := strconv.ParseUint(os.Getenv("FUNNEL_PROPERTY_SEED"), 10, 64); err == nil {
			seed = v
		}
		rng := rand.New(rand.NewPCG(seed, uint64(len(db.Dialect))))
		svc := funnel.New(db.Client, db.Dialect)
		w := buildWorld(t, ctx, db.Client, svc, rng, 150, true)
		// A where input makes the answer come from the transitions; keep is the same filter.
		where := &ent.LeadWhereInput{SourceIn: []lead.Source{"WEB_FORM", "REFERRAL", "PAID_AD"}}
		keep := func(m *mlead) bool { return slices.Contains([]string{"WEB_FORM", "REFERRAL", "PAID_AD"}, m.source) }
		check := func(t *testing.T, want funnel.Source) {
			for range 20 {
				in := w.randomInput(rng)
				var k filter
				if want == funnel.SourceTransitions {
					in.Where, k = where, keep
				}
				checkCase(t, ctx, svc, w, in, k, want)
			}
		}
		t.Run("incremental rollup", func(t *testing.T) { check(t, funnel.SourceRollup) })
		t.Run("transitions", func(t *testing.T) { check(t, funnel.SourceTransitions) })
		before := db.Client.FunnelReach.Query().CountX(ctx)
		stats, err := svc.Rollups().Rebuild(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if int(stats.Rows) != before {
			t.Fatalf("rebuild wrote %d rows, the incremental rollup had %d", stats.Rows, before)
		}
		t.Run("rebuilt rollup", func(t *testing.T) { check(t, funnel.SourceRollup) })
	})
}

func checkCase(t *testing.T, ctx context.Context, svc *funnel.Service, w *world, in funnel.Input, keep filter, want funnel.Source) {
	t.Helper()
	desc, _ := json.Marshal(in)
	got, err := svc.Funnel(ctx, in)
	if err != nil {
		t.Fatalf("funnel %s: %v", desc, err)
	}
	if got.Source != want {
		t.Fatalf("funnel %s: source %s, want %s", desc, got.Source, want)
	}
	compareFunnel(t, string(desc), got.Groups, w.bruteFunnel(in, keep))

	dur, err := svc.StageDurations(ctx, in)
	if err != nil {
		t.Fatalf("stageDurations %s: %v", desc, err)
	}
	compareDurations(t, string(desc), dur.Groups, w.bruteDurations(in, keep))

	steps := w.resolve(in.Stages, false)
	if len(steps) >= 2 {
		tin := funnel.TrendInput{From: steps[0].Key, To: steps[len(steps)-1].Key, Period: in.Period,
			Interval: []funnel.Interval{funnel.IntervalWeek, funnel.IntervalMonth}[len(desc)%2], Where: in.Where}
		tr, err := svc.ConversionTrend(ctx, tin)
		if err != nil {
			t.Fatalf("conversionTrend %s: %v", desc, err)
		}
		wantPts := w.bruteTrend(tin, keep)
		if len(tr.Points) != len(wantPts) {
			t.Fatalf("conversionTrend %s %s: %d points, want %d", desc, tin.Interval, len(tr.Points), len(wantPts))
		}
		for i, p := range tr.Points {
			q := wantPts[i]
			if p.PeriodStart != q.PeriodStart || p.ReachedFrom != q.ReachedFrom || p.ReachedTo != q.ReachedTo || !near(p.Conversion, q.Conversion) {
				t.Fatalf("conversionTrend %s %s point %d: got %+v, want %+v", desc, tin.Interval, i, *p, *q)
			}
		}
	}
}

func near(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return math.Abs(*a-*b) <= 1e-6*math.Max(1, math.Abs(*b))
}

func fl(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func compareFunnel(t *testing.T, desc string, got []*funnel.Group, want map[string]*funnel.Group) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("funnel %s: %d groups, want %d (%v)", desc, len(got), len(want), sortedKeys(want))
	}
	for _, g := range got {
		ks := keyString(g.GroupKey)
		wg := want[ks]
		if wg == nil {
			t.Fatalf("funnel %s: unexpected group %s", desc, ks)
		}
		for i, s := range g.Steps {
			ws := wg.Steps[i]
			if s.Stage != ws.Stage || s.Reached != ws.Reached || !near(s.ConversionFromFirst, ws.ConversionFromFirst) ||
				!near(s.ConversionFromPrevious, ws.ConversionFromPrevious) || !near(s.MedianDaysToNext, ws.MedianDaysToNext) ||
				!near(s.P90DaysToNext, ws.P90DaysToNext) {
				t.Fatalf("funnel %s group %s step %s: got reached %d conv %v/%v days %v/%v, want %d %v/%v %v/%v", desc, ks, s.Stage,
					s.Reached, fl(s.ConversionFromPrevious), fl(s.ConversionFromFirst), fl(s.MedianDaysToNext), fl(s.P90DaysToNext),
					ws.Reached, fl(ws.ConversionFromPrevious), fl(ws.ConversionFromFirst), fl(ws.MedianDaysToNext), fl(ws.P90DaysToNext))
			}
		}
		exits := map[[2]string]int{}
		for _, e := range wg.Exits {
			exits[[2]string{e.Stage, e.ReasonCode}] = e.Count
		}
		for _, e := range g.Exits {
			if exits[[2]string{e.Stage, e.ReasonCode}] != e.Count {
				t.Fatalf("funnel %s group %s: exit %s/%s = %d, want %d", desc, ks, e.Stage, e.ReasonCode, e.Count, exits[[2]string{e.Stage, e.ReasonCode}])
			}
			delete(exits, [2]string{e.Stage, e.ReasonCode})
		}
		if len(exits) > 0 {
			t.Fatalf("funnel %s group %s: missing exits %v", desc, ks, exits)
		}
	}
}

func compareDurations(t *testing.T, desc string, got []*funnel.DurationGroup, want map[string]*funnel.DurationGroup) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("stageDurations %s: %d groups, want %d", desc, len(got), len(want))
	}
	for _, g := range got {
		ks := keyString(g.GroupKey)
		wg := want[ks]
		if wg == nil {
			t.Fatalf("stageDurations %s: unexpected group %s", desc, ks)
		}
		for i, s := range g.Stages {
			ws := wg.Stages[i]
			same := func(a, b funnel.DurationStats) bool {
				return near(a.Median, b.Median) && near(a.P90, b.P90) && near(a.Mean, b.Mean)
			}
			if s.Stage != ws.Stage || s.Leads != ws.Leads || !same(s.Latest, ws.Latest) || !same(s.Cumulative, ws.Cumulative) {
				t.Fatalf("stageDurations %s group %s stage %s: got %d %v %v, want %d %v %v", desc, ks, s.Stage,
					s.Leads, stats(s.Latest), stats(s.Cumulative), ws.Leads, stats(ws.Latest), stats(ws.Cumulative))
			}
		}
	}
}

func stats(d funnel.DurationStats) []any { return []any{fl(d.Median), fl(d.P90), fl(d.Mean)} }
