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
	dims := []funnel.Dimension{funnel.DimSource, funnel.DimOwner, funnel.DimTeam, funnel.DimIndustry, funnel.DimRegion, funnel.DimCohortMonth,
		funnel.DimOwnerAtReach, funnel.DimTeamAtReach}
	for _, i := range rng.Perm(len(dims))[:rng.IntN(3)] {
		in.GroupBy = append(in.GroupBy, dims[i])
	}
	in.Exact = rng.IntN(4) == 0
	if rng.IntN(3) == 0 {
		in.WindowDays = ptr(rng.IntN(40))
		in.Now = base.AddDate(0, 4, 0) // some periods end within a window of it: still maturing
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
		// A where input is a semi-join with the leads it keeps; keep is the same filter.
		where := &ent.LeadWhereInput{SourceIn: []lead.Source{"WEB_FORM", "REFERRAL", "PAID_AD"}}
		keep := func(m *mlead) bool { return slices.Contains([]string{"WEB_FORM", "REFERRAL", "PAID_AD"}, m.source) }
		seen := map[string]int{}
		check := func(t *testing.T, filtered bool, source funnel.Source) {
			for range 30 {
				in := w.randomInput(rng)
				var k filter
				if filtered {
					in.Where, k = where, keep
				}
				for _, path := range checkCase(t, ctx, svc, w, in, k, source) {
					seen[path]++
				}
			}
		}
		t.Run("incremental rollup", func(t *testing.T) { check(t, false, funnel.SourceRollup) })
		t.Run("incremental rollup, where", func(t *testing.T) { check(t, true, funnel.SourceRollup) })
		t.Run("transitions", func(t *testing.T) {
			done := svc.Rollups().Rebuilding()
			defer done()
			check(t, false, funnel.SourceTransitions)
			check(t, true, funnel.SourceTransitions)
		})
		before := rollupRows(t, ctx, db)
		stats, err := svc.Rollups().Rebuild(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if int(stats.Rows) != len(w.leads) {
			t.Fatalf("rebuild wrote %d rows for %d leads", stats.Rows, len(w.leads))
		}
		if after := rollupRows(t, ctx, db); !slices.Equal(after, before) {
			for i := range min(len(after), len(before)) {
				if after[i] != before[i] {
					t.Fatalf("rebuilt row %s, incremental %s", after[i], before[i])
				}
			}
			t.Fatalf("the rebuilt rollup has %d rows, the incremental one %d", len(after), len(before))
		}
		t.Run("rebuilt rollup", func(t *testing.T) { check(t, false, funnel.SourceRollup) })
		for _, path := range []string{"funnel ROLLUP", "funnel TRANSITIONS", "funnel maturing", "durations ROLLUP", "durations TRANSITIONS",
			"trend ROLLUP", "trend TRANSITIONS"} {
			if seen[path] == 0 {
				t.Errorf("no case took the path %q (%v)", path, seen)
			}
		}
	})
}

// rollupRows are the rows of the rollup tables as text, in key order, so that the incremental
// and the rebuilt rollup compare row by row (times as the database renders them).
func rollupRows(t *testing.T, ctx context.Context, db *store.DB) []string {
	t.Helper()
	var out []string
	for _, q := range []string{"SELECT * FROM funnel_leads ORDER BY id"} {
		rows, err := db.Client.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			dest := make([]any, len(cols))
			for i := range vals {
				dest[i] = &vals[i]
			}
			if err := rows.Scan(dest...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if f, ok := v.(float64); ok { // sums of stays, added in another order
					vals[i] = math.Round(f*1e6) / 1e6
				}
			}
			out = append(out, fmt.Sprint(vals...))
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// checkCase compares funnel, stageDurations and conversionTrend of in with the brute force and
// returns the paths that answered ("funnel ROLLUP", ...), after checking them
// against plan.
func checkCase(t *testing.T, ctx context.Context, svc *funnel.Service, w *world, in funnel.Input, keep filter, source funnel.Source) []string {
	t.Helper()
	desc, _ := json.Marshal(in)
	const sketch = false
	method := funnel.PercentilesExact
	got, err := svc.Funnel(ctx, in)
	if err != nil {
		t.Fatalf("funnel %s: %v", desc, err)
	}
	if got.Source != source || got.Percentiles != method {
		t.Fatalf("funnel %s: source %s %s, want %s %s", desc, got.Source, got.Percentiles, source, method)
	}
	paths := []string{fmt.Sprintf("funnel %s", got.Source)}
	if maturing := in.WindowDays != nil && in.Period.To.AddDate(0, 0, *in.WindowDays).After(in.Now); got.Maturing != maturing {
		t.Fatalf("funnel %s: maturing %v, want %v", desc, got.Maturing, maturing)
	}
	if got.Maturing {
		paths = append(paths, "funnel maturing")
	}
	compareFunnel(t, string(desc), got.Groups, w.bruteFunnel(in, keep), sketch)

	dur, err := svc.StageDurations(ctx, in)
	if err != nil {
		t.Fatalf("stageDurations %s: %v", desc, err)
	}
	if dur.Source != source || dur.Percentiles != method {
		t.Fatalf("stageDurations %s: source %s %s", desc, dur.Source, dur.Percentiles)
	}
	paths = append(paths, fmt.Sprintf("durations %s", dur.Source))
	compareDurations(t, string(desc), dur.Groups, w.bruteDurations(in, keep), sketch)

	steps := w.resolve(in.Stages, false)
	if len(steps) >= 2 {
		tin := funnel.TrendInput{From: steps[0].Key, To: steps[len(steps)-1].Key, Period: in.Period,
			Interval: []funnel.Interval{funnel.IntervalWeek, funnel.IntervalMonth}[len(desc)%2], Where: in.Where}
		tr, err := svc.ConversionTrend(ctx, tin)
		if err != nil {
			t.Fatalf("conversionTrend %s: %v", desc, err)
		}
		if tr.Source != source {
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

// nearPct compares a percentile: every answer's is exact, up to float noise.
func nearPct(a, b *float64, _ bool) bool { return near(a, b) }

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
		if g.ExitsFrom != nil { // asked for (over HTTP, only when selected)
			from := map[[3]string]int{}
			for _, e := range wg.ExitsFrom {
				from[[3]string{e.FromStage, e.Stage, e.ReasonCode}] = e.Count
			}
			for _, e := range g.ExitsFrom {
				if k := [3]string{e.FromStage, e.Stage, e.ReasonCode}; from[k] != e.Count {
					t.Fatalf("funnel %s group %s: exit from %v = %d, want %d", desc, ks, k, e.Count, from[k])
				}
			}
			if len(g.ExitsFrom) != len(wg.ExitsFrom) {
				t.Fatalf("funnel %s group %s: %d exits by stage left, want %d", desc, ks, len(g.ExitsFrom), len(wg.ExitsFrom))
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
