package funnel

import (
	"context"
	"time"

	"github.com/qualify/qualify/internal/domainerr"
)

// Funnel counts, per group, the leads of the cohort that reached each requested stage, the
// days between consecutive steps and the exits by reason code (and by the stage left).
func (s *Service) Funnel(ctx context.Context, in Input) (*Result, error) {
	res, err := s.funnel(ctx, in)
	if err != nil {
		return nil, err
	}
	return res, nameOwners(ctx, s, res.Groups)
}

func (s *Service) funnel(ctx context.Context, in Input) (*Result, error) {
	if err := validPeriod(in.Period); err != nil {
		return nil, err
	}
	if in.WindowDays != nil && *in.WindowDays < 0 {
		return nil, domainerr.Validation("windowDays", "must not be negative")
	}
	sc, err := s.open(ctx, in.Where)
	if err != nil {
		return nil, err
	}
	steps, err := sc.set.resolve(in.Stages)
	if err != nil {
		return nil, err
	}
	ids := make([]int, len(steps))
	index := map[int]int{}
	for i, st := range steps {
		ids[i], index[st.ID] = st.ID, i
	}
	first := ids[0]
	res := &Result{Source: sc.source, Percentiles: PercentilesExact, Groups: []*Group{}}
	if in.WindowDays != nil {
		now := in.Now
		if now.IsZero() {
			now = time.Now()
		}
		res.Maturing = in.Period.To.Add(time.Duration(*in.WindowDays) * 24 * time.Hour).After(now)
	}
	groups := map[dims]*Group{}
	group := func(d dims) *Group {
		g, ok := groups[d]
		if !ok {
			g = &Group{GroupKey: d.key(in.GroupBy), Steps: make([]*Step, len(steps)), Exits: []*Exit{}, ExitsFrom: []*ExitFrom{}}
			for i, st := range steps {
				g.Steps[i] = &Step{Stage: st.Key}
			}
			groups[d] = g
			res.Groups = append(res.Groups, g)
		}
		return g
	}
	cohort, cohortArgs := sc.cohortCond("r", in.cohort(), first, in.Period)
	from := sc.table + " r" + sc.dimJoin("r", in.GroupBy, first)
	rc, rcArgs := sc.rowCond()
	where, cohortArgs := " WHERE 1 = 1"+cohort+rc, append(cohortArgs, rcArgs...)
	dcols := sc.dimCols("r", in.GroupBy, first)

	var exits *exitTally
	if !in.Omit.Exits && len(sc.set.exits) > 0 {
		exits = newExitTally()
	}
	jobs := []job{sc.countJob(in, ids, first, dcols, from, where, cohortArgs, group, exits)}

	// Days from reaching one step to reaching the next, over the leads that reached both: only
	// the rows that reached the second step have any.
	if len(ids) > 1 && !in.Omit.DaysToNext {
		rate, err := sc.sampleRate(ctx, in.Exact)
		if err != nil {
			return nil, err
		}
		res.Percentiles, res.PercentileSampleRate = method(rate)
		ptable, share := sc.percentileFrom(rate, "r")
		pfrom := ptable + " r" + sc.dimJoin("r", in.GroupBy, first)
		vals := make([]kmv, 0, len(ids)-1)
		for i := 0; i+1 < len(ids); i++ {
			vals = append(vals, kmv{k: ids[i], v: secondsDays(sc.col("r", 'r', ids[i+1]), sc.col("r", 'r', ids[i]))})
		}
		each := func(x *stats) {
			step := group(x.dims).Steps[index[x.k]]
			step.MedianDaysToNext, step.P90DaysToNext = nullable(x.p50), nullable(x.p90)
		}
		// The first step's stays are the most (every lead that reached the second step has one):
		// over every lead on PostgreSQL one statement sorts them while another sorts the later
		// ones, over the rows that reached the third step. The sample is read once (see
		// stageDurations).
		parts := [][]kmv{vals}
		if sc.svc.pg() && rate == 0 && len(vals) > 1 {
			parts = [][]kmv{vals[:1], vals[1:]}
		}
		for i, part := range parts {
			some := share + " AND " + sc.col("r", 'r', ids[i+1]) + " IS NOT NULL"
			jobs = append(jobs, sc.statsJob(in.GroupBy, first, pfrom, where+some, cohortArgs, part, statPercentiles, each))
		}
	}
	if err := sc.runAll(ctx, jobs...); err != nil {
		return nil, err
	}
	if exits != nil {
		exits.fill(sc.set)
	}
	return finish(res), nil
}

// finish fills the conversions and orders the groups.
func finish(res *Result) *Result {
	for _, g := range res.Groups {
		conversions(g.Steps)
	}
	sortGroups(res.Groups)
	return res
}

// conversions fills the ratios of the steps from their reached counts.
func conversions(steps []*Step) {
	ratio := func(a, b int) *float64 {
		if b == 0 {
			return nil
		}
		return ptr(float64(a) / float64(b))
	}
	for i, st := range steps {
		st.ConversionFromFirst = ratio(st.Reached, steps[0].Reached)
		if i > 0 {
			st.ConversionFromPrevious = ratio(st.Reached, steps[i-1].Reached)
		}
	}
}
