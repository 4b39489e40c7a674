package funnel

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strings"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/domainerr"
)

// Durations is the time leads spent in stages.
type Durations struct {
	Source      Source           `json:"source"`
	Percentiles PercentileMethod `json:"percentiles"`
	// PercentileSampleRate is the share of the leads the percentiles were computed from when
	// sampled, else nil.
	PercentileSampleRate *float64         `json:"percentileSampleRate"`
	Groups               []*DurationGroup `json:"groups"`
}

// DurationGroup is the time in stage of one group of leads.
type DurationGroup struct {
	GroupKey
	Stages []*StageDuration `json:"stages"`
}

// StageDuration is the time in one stage over the leads of the group that left it at least
// once: Latest is their last closed stay, Cumulative the sum of all their closed stays. A stay
// still open is not counted.
type StageDuration struct {
	Stage      string        `json:"stage"`
	Leads      int           `json:"leads"`
	Latest     DurationStats `json:"latest"`
	Cumulative DurationStats `json:"cumulative"`
}

// DurationStats are in days.
type DurationStats struct {
	Median *float64 `json:"median"`
	P90    *float64 `json:"p90"`
	Mean   *float64 `json:"mean"`
}

// StageDurations computes, per group and stage, the latest and cumulative stays of the cohort's
// leads. Stages may include exit stages; empty means every stage.
func (s *Service) StageDurations(ctx context.Context, in Input) (*Durations, error) {
	res, err := s.stageDurations(ctx, in)
	if err != nil {
		return nil, err
	}
	return res, nameOwners(ctx, s, res.Groups)
}

func (s *Service) stageDurations(ctx context.Context, in Input) (*Durations, error) {
	if err := validPeriod(in.Period); err != nil {
		return nil, err
	}
	sc, err := s.open(ctx, in.Where)
	if err != nil {
		return nil, err
	}
	stages, err := sc.set.resolveAny(in.Stages)
	if err != nil {
		return nil, err
	}
	first := sc.set.funnel[0].ID
	if isFunnel(stages[0].Kind) {
		first = stages[0].ID
	}
	ids := make([]int, len(stages))
	index := map[int]int{}
	for i, st := range stages {
		ids[i], index[st.ID] = st.ID, i
	}
	res := &Durations{Source: sc.source, Percentiles: PercentilesExact, Groups: []*DurationGroup{}}
	groups := map[dims]*DurationGroup{}
	add := func(x *stats) {
		g, ok := groups[x.dims]
		if !ok {
			g = &DurationGroup{GroupKey: x.dims.key(in.GroupBy), Stages: make([]*StageDuration, len(stages))}
			for i, st := range stages {
				g.Stages[i] = &StageDuration{Stage: st.Key}
			}
			groups[x.dims] = g
			res.Groups = append(res.Groups, g)
		}
		sd := g.Stages[index[x.k]]
		ds := &sd.Latest
		if x.m == 1 {
			ds = &sd.Cumulative
		}
		if x.parts&statCounts != 0 {
			ds.Mean = nullable(x.mean)
			if x.m == 0 {
				sd.Leads = x.n
			}
		}
		if x.parts&statPercentiles != 0 {
			ds.Median, ds.P90 = nullable(x.p50), nullable(x.p90)
		}
	}
	cohort, cohortArgs := sc.cohortCond("r", in.cohort(), first, in.Period)
	vals := make([]kmv, 0, 2*len(ids))
	for _, id := range ids {
		if sc.set.slot(id) == 0 {
			continue // a retired stage asked for by key: no stays are kept for it
		}
		vals = append(vals, kmv{k: id, m: 0, v: sc.col("r", 'l', id)})
		if !in.Omit.Cumulative {
			vals = append(vals, kmv{k: id, m: 1, v: sc.col("r", 'c', id)})
		}
	}
	if len(vals) == 0 {
		return res, nil // only retired stages: no stays are kept
	}
	join := sc.dimJoin("r", in.GroupBy, first)
	rc, rcArgs := sc.rowCond()
	base := " WHERE 1 = 1" + cohort + rc
	args, dcols := append(cohortArgs, rcArgs...), sc.dimCols("r", in.GroupBy, first)
	if in.Omit.Percentiles {
		// Counts and means only: one hash aggregate, no sort.
		counts, finish := sc.stayCounts(in.GroupBy, dcols, join, base, args, vals, add)
		if err := sc.runAll(ctx, counts); err != nil {
			return nil, err
		}
		finish()
	} else {
		rate, err := sc.sampleRate(ctx, in.Exact)
		if err != nil {
			return nil, err
		}
		sampled := rate > 0
		res.Percentiles, res.PercentileSampleRate = method(rate)
		ptable, share := sc.percentileFrom(rate, "r")
		pfrom := ptable + " r" + join
		// Each statement sorts only the rows with a closed stay in one of its stages. Over
		// every lead on PostgreSQL, the first stage's stays (latest and cumulative: nearly every
		// lead has one) are sorted by one statement while another sorts the later stages' (their
		// rows are half as many): a split by latest and cumulative sorted every row twice. The
		// sample is read once: its sorts are a fraction as long, and a second statement would
		// scan it again for a core the counts below are using.
		parts := [][]kmv{vals}
		if firsts := 1 + btoi(!in.Omit.Cumulative); sc.svc.pg() && !sampled && len(vals) > firsts {
			parts = [][]kmv{vals[:firsts], vals[firsts:]}
		}
		figures, finish := statAll, func() {}
		var jobs []job
		if sampled {
			// The counts and means of every lead, in one hash aggregate beside the sample's sorts.
			var counts job
			figures = statPercentiles
			counts, finish = sc.stayCounts(in.GroupBy, dcols, join, base, args, vals, add)
			jobs = append(jobs, counts)
		}
		for _, part := range parts {
			some := make([]string, 0, len(part))
			for _, v := range part {
				if v.m == 0 {
					some = append(some, v.v+" IS NOT NULL")
				}
			}
			where := base + share + " AND (" + strings.Join(some, " OR ") + ")"
			jobs = append(jobs, sc.statsJob(in.GroupBy, first, pfrom, where, args, part, figures, add))
		}
		if err := sc.runAll(ctx, jobs...); err != nil {
			return nil, err
		}
		finish()
	}
	sortGroups(res.Groups)
	return res, nil
}

// resolveAny turns stage keys into stages of any kind; empty means every stage.
func (set *stageSet) resolveAny(keys []string) ([]*ent.Stage, error) {
	if len(keys) == 0 {
		return append(slices.Clone(set.funnel), set.exits...), nil
	}
	out := make([]*ent.Stage, 0, len(keys))
	for _, k := range keys {
		st, ok := set.byKey[k]
		if !ok {
			return nil, domainerr.Validation("stages", "unknown stage "+k)
		}
		if slices.Contains(out, st) {
			return nil, domainerr.Validation("stages", "stage "+k+" is listed twice")
		}
		out = append(out, st)
	}
	return out, nil
}

// keyed is a group with a key.
type keyed interface{ groupKey() *GroupKey }

func (g *Group) groupKey() *GroupKey         { return &g.GroupKey }
func (g *DurationGroup) groupKey() *GroupKey { return &g.GroupKey }

// sortGroups orders groups by their key, so answers are stable.
func sortGroups[G keyed](gs []G) {
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	num := func(p *int) int {
		if p == nil {
			return 0
		}
		return *p
	}
	slices.SortFunc(gs, func(a, b G) int {
		x, y := a.groupKey(), b.groupKey()
		return cmp.Or(cmp.Compare(str(x.Source), str(y.Source)), cmp.Compare(num(x.OwnerID), num(y.OwnerID)),
			cmp.Compare(str(x.Team), str(y.Team)), cmp.Compare(str(x.Industry), str(y.Industry)),
			cmp.Compare(str(x.Region), str(y.Region)), cmp.Compare(str(x.CohortMonth), str(y.CohortMonth)),
			cmp.Compare(num(x.OwnerAtReachID), num(y.OwnerAtReachID)), cmp.Compare(str(x.TeamAtReach), str(y.TeamAtReach)))
	})
}

// stayCounts counts, per group of the rows of the scope's table (joined with join) and where, the
// leads with a closed stay in each stage and sums their stays, for the means: a hash aggregate
// (no percentiles) that parallel workers share. vals hold each stage's latest stay (m 0), then
// its cumulative one (m 1) when asked for; a lead has a cumulative stay exactly when it has a
// latest one (both come from its transitions out of the stage), so the latest's count serves
// both: a ninth of the statement's time at 1M leads. The figures are handed to each by the
// returned finish, once the job has run.
//
// On PostgreSQL the rollup's scan sums no cumulative stay either: a lead's equals its latest
// unless it stayed in the stage more than once, and those leads' rows are copied to
// funnel_restays (1.2% of them at 1M leads), so the cumulative sum is the latest one plus
// their differences, summed in the same statement (one snapshot) over that table: 8 of the
// scan's 24 aggregates a row.
func (sc *scope) stayCounts(by []Dimension, dcols, join, where string, args []any, vals []kmv, each func(*stats)) (job, func()) {
	restays := sc.svc.pg() && sc.table == "funnel_leads" && slices.ContainsFunc(vals, func(v kmv) bool { return v.m == 1 })
	scan := make([]string, 0, 2*len(vals))
	diffs := make([]string, 0, 2*len(vals))
	for _, v := range vals {
		switch {
		case v.m == 0:
			scan = append(scan, "COUNT("+v.v+")", "SUM("+v.v+")")
			diffs = append(diffs, "0", "NULL")
		case restays:
			scan = append(scan, "0", "NULL")
			diffs = append(diffs, "0", "SUM("+v.v+" - "+sc.col("r", 'l', v.k)+")")
		default:
			scan = append(scan, "0", "SUM("+v.v+")")
		}
	}
	st := sc.stmt()
	st.add(`SELECT `+dcols+strings.Join(scan, ", ")+` FROM `+sc.table+` r`+join+where+groupBy(by), args...)
	if restays {
		st.add(`
UNION ALL SELECT `+dcols+strings.Join(diffs, ", ")+` FROM funnel_restays r`+join+where+groupBy(by), args...)
	}
	type key struct {
		dims
		k int
	}
	type sums struct {
		n      int
		of     [2]float64 // by m
		summed [2]bool
	}
	acc := map[key]*sums{}
	j := job{st: st, scan: func(rows *sql.Rows) error {
		var d dims
		ns := make([]int, len(vals))
		ss := make([]sql.NullFloat64, len(vals))
		dest := d.destOf(by, false)
		for i := range vals {
			dest = append(dest, &ns[i], &ss[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		for i, v := range vals {
			a := acc[key{d, v.k}]
			if a == nil {
				a = &sums{}
				acc[key{d, v.k}] = a
			}
			if v.m == 0 {
				a.n += ns[i]
			}
			if ss[i].Valid {
				a.of[v.m] += ss[i].Float64
				a.summed[v.m] = true
			}
		}
		return nil
	}}
	finish := func() {
		for k, a := range acc {
			if a.n == 0 {
				continue
			}
			for _, v := range vals {
				if v.k != k.k {
					continue
				}
				// The cumulative sum is the latest's plus the differences (restays).
				total, ok := a.of[v.m], a.summed[v.m]
				if v.m == 1 && restays {
					total, ok = a.of[0]+a.of[1], a.summed[0]
				}
				each(&stats{dims: k.dims, k: v.k, m: v.m, n: a.n, mean: sql.NullFloat64{Float64: total / float64(a.n), Valid: ok}, parts: statCounts})
			}
		}
	}
	return j, finish
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
