package funnel_test

import (
	"context"
	"encoding/json"
	"fmt"
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

// randomInput draws a cohort, a period, a subsequence of the funnel, a grouping and whether to
// ask for exact percentiles. Periods are on whole days, whole months (what the sketches answer)
// or at odd hours (what the aggregate cannot answer).
func (w *world) randomInput(rng *rand.Rand) funnel.Input {
	var in funnel.Input
	switch rng.IntN(3) {
	case 0:
		start := base.Add(time.Duration(rng.IntN(100)-10) * 24 * time.Hour)
		in.Period = funnel.Period{From: start, To: start.Add(time.Duration(20+rng.IntN(200)) * 24 * time.Hour)}
	case 1:
		// Up to 15 months from 2024-10: the sketches' months, quarters and years.
		start := time.Date(base.Year(), base.Month()+time.Month(rng.IntN(7)-3), 1, 0, 0, 0, 0, time.UTC)
		in.Period = funnel.Period{From: start, To: start.AddDate(0, 1+rng.IntN(15), 0)}
	default:
		start := base.Add(time.Duration(rng.IntN(100*24)-10) * time.Hour).Add(time.Minute)
		in.Period = funnel.Period{From: start, To: start.Add(time.Duration(20+rng.IntN(200)) * 24 * time.Hour)}
	}
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
	in.Exact = rng.IntN(4) == 0
	return in
}

// plan is where an input without where must be answered from, as documented: the aggregate
// for a period on whole UTC days grouped by at most one dimension besides COHORT_MONTH (which
// only the CREATED cohort may use), its
// sketches when the period is also whole months and exact percentiles are not asked for.
func plan(in funnel.Input) (agg, sketch bool) {
	day := func(t time.Time) bool { return t.Equal(t.Truncate(24 * time.Hour)) }
	entered := in.Cohort != nil && *in.Cohort == funnel.CohortEnteredFirstStage
	n := 0
	for _, d := range in.GroupBy {
		if d != funnel.DimCohortMonth {
			n++
		} else if entered {
			return false, false
		}
	}
	agg = in.Where == nil && n <= 1 && day(in.Period.From) && day(in.Period.To)
	return agg, agg && !in.Exact && in.Period.From.Day() == 1 && in.Period.To.Day() == 1
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
		seen := map[string]int{}
		check := func(t *testing.T, filtered bool) {
			for range 40 {
				in := w.randomInput(rng)
				var k filter
				if filtered {
					in.Where, k = where, keep
				}
				for _, path := range checkCase(t, ctx, svc, w, in, k) {
					seen[path]++
				}
			}
		}
		t.Run("incremental rollup", func(t *testing.T) { check(t, false) })
		t.Run("transitions", func(t *testing.T) { check(t, true) })
		before := db.Client.FunnelReach.Query().CountX(ctx)
		aggBefore := aggregateRows(t, ctx, db)
		stats, err := svc.Rollups().Rebuild(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if int(stats.Rows) != before {
			t.Fatalf("rebuild wrote %d rows, the incremental rollup had %d", stats.Rows, before)
		}
		after := aggregateRows(t, ctx, db)
		if len(after) != len(aggBefore) {
			t.Fatalf("the rebuilt aggregate has %d rows, the incremental one %d", len(after), len(aggBefore))
		}
		for k, v := range aggBefore {
			if w, ok := after[k]; !ok || math.Abs(w-v) > 1e-9*math.Max(1, math.Abs(v)) {
				t.Fatalf("aggregate row %s: rebuilt %v, incremental %v", k, w, v)
			}
		}
		t.Run("rebuilt rollup", func(t *testing.T) { check(t, false) })
		// Every path must have been taken, or the test proves less than it says.
		for _, path := range []string{"funnel AGGREGATE SKETCH", "funnel AGGREGATE EXACT", "funnel ROLLUP EXACT",
			"funnel TRANSITIONS EXACT", "durations AGGREGATE SKETCH", "durations ROLLUP EXACT", "durations TRANSITIONS EXACT",
			"trend AGGREGATE", "trend ROLLUP", "trend TRANSITIONS"} {
			if seen[path] == 0 {
				t.Errorf("no case took the path %q (%v)", path, seen)
			}
		}
	})
}

// aggregateRows maps each non-zero aggregate row (its key and count) to its sum (incremental
// and rebuilt sums are added in different orders, so they are compared with a tolerance).
func aggregateRows(t *testing.T, ctx context.Context, db *store.DB) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, q := range []string{
		"SELECT 'c', cohort_stage, cohort_day, stage_id, reason_code, dim, dim_value, n, 0.0 FROM funnel_counts WHERE n <> 0",
		"SELECT 's', cohort_stage, cohort_month, metric, stage_id, to_stage_id, dim, dim_value, bucket, n, value_sum FROM funnel_sketches WHERE n <> 0",
	} {
		rows, err := db.Client.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			key := make([]string, len(cols)-1)
			dest := make([]any, len(cols))
			for i := range key {
				dest[i] = &key[i]
			}
			var sum float64
			dest[len(key)] = &sum
			if err := rows.Scan(dest...); err != nil {
				t.Fatal(err)
			}
			out[fmt.Sprint(key)] = sum
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// checkCase compares funnel, stageDurations and conversionTrend of in with the brute force and
// returns the paths that answered ("funnel AGGREGATE SKETCH", ...), after checking them
// against plan.
func checkCase(t *testing.T, ctx context.Context, svc *funnel.Service, w *world, in funnel.Input, keep filter) []string {
	t.Helper()
	desc, _ := json.Marshal(in)
	agg, sketch := plan(in)
	source := funnel.SourceRollup
	switch {
	case in.Where != nil:
		source = funnel.SourceTransitions
	case agg:
		source = funnel.SourceAggregate
	}
	method := funnel.PercentilesExact
	if sketch {
		method = funnel.PercentilesSketch
	}
	got, err := svc.Funnel(ctx, in)
	if err != nil {
		t.Fatalf("funnel %s: %v", desc, err)
	}
	if got.Source != source || got.Percentiles != method {
		t.Fatalf("funnel %s: source %s %s, want %s %s", desc, got.Source, got.Percentiles, source, method)
	}
	paths := []string{fmt.Sprintf("funnel %s %s", got.Source, got.Percentiles)}
	compareFunnel(t, string(desc), got.Groups, w.bruteFunnel(in, keep), sketch)

	dur, err := svc.StageDurations(ctx, in)
	if err != nil {
		t.Fatalf("stageDurations %s: %v", desc, err)
	}
	// Durations are all percentiles or come with them: the aggregate answers only with sketches.
	durSource := map[bool]funnel.Source{true: funnel.SourceTransitions, false: funnel.SourceRollup}[in.Where != nil]
	if sketch {
		durSource = funnel.SourceAggregate
	}
	if dur.Source != durSource || dur.Percentiles != method {
		t.Fatalf("stageDurations %s: source %s %s", desc, dur.Source, dur.Percentiles)
	}
	paths = append(paths, fmt.Sprintf("durations %s %s", dur.Source, dur.Percentiles))
	compareDurations(t, string(desc), dur.Groups, w.bruteDurations(in, keep), sketch)

	steps := w.resolve(in.Stages, false)
	if len(steps) >= 2 {
		tin := funnel.TrendInput{From: steps[0].Key, To: steps[len(steps)-1].Key, Period: in.Period,
			Interval: []funnel.Interval{funnel.IntervalWeek, funnel.IntervalMonth}[len(desc)%2], Where: in.Where}
		tr, err := svc.ConversionTrend(ctx, tin)
		if err != nil {
			t.Fatalf("conversionTrend %s: %v", desc, err)
		}
		tagg, _ := plan(funnel.Input{Period: in.Period, Where: in.Where})
		if tagg != (tr.Source == funnel.SourceAggregate) {
			t.Fatalf("conversionTrend %s: source %s", desc, tr.Source)
		}
		paths = append(paths, "trend "+string(tr.Source))
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
	return paths
}

// nearPct compares a percentile: exactly (up to float noise), or within the sketch's documented
// relative error.
func nearPct(a, b *float64, sketch bool) bool {
	if !sketch || a == nil || b == nil {
		return near(a, b)
	}
	return math.Abs(*a-*b) <= funnel.SketchRelativeError*(1+1e-9)*math.Abs(*b)+1e-12
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

func compareFunnel(t *testing.T, desc string, got []*funnel.Group, want map[string]*funnel.Group, sketch bool) {
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
				!near(s.ConversionFromPrevious, ws.ConversionFromPrevious) || !nearPct(s.MedianDaysToNext, ws.MedianDaysToNext, sketch) ||
				!nearPct(s.P90DaysToNext, ws.P90DaysToNext, sketch) {
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

func compareDurations(t *testing.T, desc string, got []*funnel.DurationGroup, want map[string]*funnel.DurationGroup, sketch bool) {
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
				return nearPct(a.Median, b.Median, sketch) && nearPct(a.P90, b.P90, sketch) && near(a.Mean, b.Mean)
			}
			if s.Stage != ws.Stage || s.Leads != ws.Leads || !same(s.Latest, ws.Latest) || !same(s.Cumulative, ws.Cumulative) {
				t.Fatalf("stageDurations %s group %s stage %s: got %d %v %v, want %d %v %v", desc, ks, s.Stage,
					s.Leads, stats(s.Latest), stats(s.Cumulative), ws.Leads, stats(ws.Latest), stats(ws.Cumulative))
			}
		}
	}
}

func stats(d funnel.DurationStats) []any { return []any{fl(d.Median), fl(d.P90), fl(d.Mean)} }
