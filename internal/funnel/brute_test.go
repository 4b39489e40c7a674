package funnel_test

import (
	"slices"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/funnel"
)

// filter stands for the where input of a case: nil keeps every lead.
type filter func(*mlead) bool

func (w *world) cohort(in funnel.Input, first *ent.Stage, keep filter) []*mlead {
	var out []*mlead
	for _, m := range w.leads {
		if keep != nil && !keep(m) {
			continue
		}
		at := m.created
		if in.Cohort != nil && *in.Cohort == funnel.CohortEnteredFirstStage {
			var ok bool
			if at, ok = w.reach(m, first); !ok {
				continue
			}
		}
		if inPeriod(at, in.Period) {
			out = append(out, m)
		}
	}
	return out
}

func (w *world) resolve(keys []string, any bool) []*ent.Stage {
	if len(keys) == 0 {
		if any {
			return append(slices.Clone(w.funnel), w.exits...)
		}
		return w.funnel
	}
	var out []*ent.Stage
	for _, k := range keys {
		for _, s := range w.stages {
			if s.Key == k {
				out = append(out, s)
			}
		}
	}
	return out
}

// bruteFunnel computes the funnel of in by brute force.
func (w *world) bruteFunnel(in funnel.Input, keep filter) map[string]*funnel.Group {
	steps := w.resolve(in.Stages, false)
	w.first = steps[0]
	groups := map[string]*funnel.Group{}
	gaps := map[string][][]float64{}
	group := func(m *mlead) *funnel.Group {
		k := w.key(m, in.GroupBy)
		ks := keyString(k)
		if g, ok := groups[ks]; ok {
			return g
		}
		g := &funnel.Group{GroupKey: k}
		for _, s := range steps {
			g.Steps = append(g.Steps, &funnel.Step{Stage: s.Key})
		}
		groups[ks], gaps[ks] = g, make([][]float64, len(steps))
		return g
	}
	for _, m := range w.cohort(in, steps[0], keep) {
		group(m) // a group of the cohort shows with zeros when none of its leads reached a step
		var at []time.Time
		for i, s := range steps {
			t, ok := w.reach(m, s)
			at = append(at, t)
			if ok && in.WindowDays != nil && i > 0 && days(t.Sub(at[0])) > float64(*in.WindowDays) {
				ok = false
			}
			if ok {
				group(m).Steps[i].Reached++
			}
		}
		for i := 0; i+1 < len(steps); i++ {
			if !at[i].IsZero() && !at[i+1].IsZero() {
				ks := keyString(w.key(m, in.GroupBy))
				gaps[ks][i] = append(gaps[ks][i], days(at[i+1].Sub(at[i])))
			}
		}
		exitsFrom := map[[3]string]bool{}
		for _, tr := range m.trs {
			if s := w.stages[tr.to]; slices.Contains(w.exits, s) {
				from := ""
				if tr.from != 0 {
					from = w.stages[tr.from].Key
				}
				if k := [3]string{from, s.Key, tr.reason}; !exitsFrom[k] {
					exitsFrom[k] = true
					g := group(m)
					i := slices.IndexFunc(g.ExitsFrom, func(e *funnel.ExitFrom) bool {
						return e.FromStage == from && e.Stage == s.Key && e.ReasonCode == tr.reason
					})
					if i < 0 {
						g.ExitsFrom = append(g.ExitsFrom, &funnel.ExitFrom{FromStage: from, Stage: s.Key, ReasonCode: tr.reason})
						i = len(g.ExitsFrom) - 1
					}
					g.ExitsFrom[i].Count++
				}
			}
		}
		exits := map[[2]string]bool{}
		for _, tr := range m.trs {
			if s := w.stages[tr.to]; slices.Contains(w.exits, s) && !exits[[2]string{s.Key, tr.reason}] {
				exits[[2]string{s.Key, tr.reason}] = true
				g := group(m)
				i := slices.IndexFunc(g.Exits, func(e *funnel.Exit) bool { return e.Stage == s.Key && e.ReasonCode == tr.reason })
				if i < 0 {
					g.Exits = append(g.Exits, &funnel.Exit{Stage: s.Key, ReasonCode: tr.reason})
					i = len(g.Exits) - 1
				}
				g.Exits[i].Count++
			}
		}
	}
	for ks, g := range groups {
		for i, st := range g.Steps {
			st.MedianDaysToNext, st.P90DaysToNext = percentile(gaps[ks][i], 0.5), percentile(gaps[ks][i], 0.9)
			if g.Steps[0].Reached > 0 {
				st.ConversionFromFirst = ptr(float64(st.Reached) / float64(g.Steps[0].Reached))
			}
			if i > 0 && g.Steps[i-1].Reached > 0 {
				st.ConversionFromPrevious = ptr(float64(st.Reached) / float64(g.Steps[i-1].Reached))
			}
		}
	}
	return groups
}

func ptr[T any](v T) *T { return &v }

// bruteDurations computes stageDurations of in by brute force.
func (w *world) bruteDurations(in funnel.Input, keep filter) map[string]*funnel.DurationGroup {
	stages := w.resolve(in.Stages, true)
	first := w.funnel[0]
	if slices.Contains(w.funnel, stages[0]) {
		first = stages[0]
	}
	w.first = first
	groups := map[string]*funnel.DurationGroup{}
	vals := map[string][][2][]float64{}
	for _, m := range w.cohort(in, first, keep) {
		for i, s := range stages {
			latest, total, ok := w.stays(m, s)
			if !ok {
				continue
			}
			k := w.key(m, in.GroupBy)
			ks := keyString(k)
			if groups[ks] == nil {
				g := &funnel.DurationGroup{GroupKey: k}
				for _, s := range stages {
					g.Stages = append(g.Stages, &funnel.StageDuration{Stage: s.Key})
				}
				groups[ks], vals[ks] = g, make([][2][]float64, len(stages))
			}
			groups[ks].Stages[i].Leads++
			vals[ks][i][0] = append(vals[ks][i][0], latest)
			vals[ks][i][1] = append(vals[ks][i][1], total)
		}
	}
	for ks, g := range groups {
		for i, sd := range g.Stages {
			l, c := vals[ks][i][0], vals[ks][i][1]
			sd.Latest = funnel.DurationStats{Median: percentile(l, 0.5), P90: percentile(l, 0.9), Mean: mean(l)}
			sd.Cumulative = funnel.DurationStats{Median: percentile(c, 0.5), P90: percentile(c, 0.9), Mean: mean(c)}
		}
	}
	return groups
}

// bruteTrend computes conversionTrend of in by brute force.
func (w *world) bruteTrend(in funnel.TrendInput, keep filter) []*funnel.TrendPoint {
	from, to := w.resolve([]string{in.From}, false)[0], w.resolve([]string{in.To}, false)[0]
	points := map[string]*funnel.TrendPoint{}
	for _, m := range w.leads {
		if keep != nil && !keep(m) {
			continue
		}
		at, ok := w.reach(m, from)
		if !ok || !inPeriod(at, in.Period) {
			continue
		}
		var b time.Time
		if in.Interval == funnel.IntervalWeek {
			d := at.Truncate(24 * time.Hour)
			b = d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
		} else {
			b = time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, time.UTC)
		}
		p := points[b.Format(time.DateOnly)]
		if p == nil {
			p = &funnel.TrendPoint{PeriodStart: b.Format(time.DateOnly)}
			points[p.PeriodStart] = p
		}
		p.ReachedFrom++
		if _, ok := w.reach(m, to); ok {
			p.ReachedTo++
		}
	}
	var out []*funnel.TrendPoint
	for _, k := range sortedKeys(points) {
		p := points[k]
		p.Conversion = ptr(float64(p.ReachedTo) / float64(p.ReachedFrom))
		out = append(out, p)
	}
	return out
}
