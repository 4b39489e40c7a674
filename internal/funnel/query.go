package funnel

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// Funnel counts, per group, the leads of the cohort that reached each requested stage, the
// days between consecutive steps and the exits by reason code.
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
	sc, err := s.open(ctx, in.Where)
	if err != nil {
		return nil, err
	}
	steps, err := sc.set.resolve(in.Stages)
	if err != nil {
		return nil, err
	}
	ids := make([]int, len(steps))
	for i, st := range steps {
		ids[i] = st.ID
	}
	res := &Result{Source: sc.source, Percentiles: PercentilesExact}
	groups := map[dims]*Group{}
	group := func(d dims) *Group {
		g, ok := groups[d]
		if !ok {
			g = &Group{GroupKey: d.key(in.GroupBy), Steps: make([]*Step, len(steps)), Exits: []*Exit{}}
			for i, st := range steps {
				g.Steps[i] = &Step{Stage: st.Key}
			}
			groups[d] = g
			res.Groups = append(res.Groups, g)
		}
		return g
	}
	index := map[int]int{}
	for i, id := range ids {
		index[id] = i
	}
	plan := sc.aggregate(in)
	if plan != nil {
		res.Source = SourceAggregate
		if err := sc.aggFunnel(ctx, in, plan, ids, index, group); err != nil {
			return nil, err
		}
		if plan.sketch || len(ids) < 2 {
			if plan.sketch {
				res.Percentiles = PercentilesSketch
			}
			return finish(res), nil
		}
	}
	cohort, cohortArgs := sc.cohortCond("r", in.cohort(), ids[0], in.Period)
	if plan == nil {
		if err := sc.reached(ctx, in, ids, index, cohort, cohortArgs, group); err != nil {
			return nil, err
		}
		if err := sc.exits(ctx, in, ids[0], cohort, cohortArgs, group); err != nil {
			return nil, err
		}
	}

	// Days from reaching one step to reaching the next, over the leads that reached both.
	if len(ids) > 1 {
		st := sc.stmt()
		var next strings.Builder
		next.WriteString("CASE r.stage_id")
		for i := 0; i+1 < len(ids); i++ {
			fmt.Fprintf(&next, " WHEN %d THEN %d", ids[i], ids[i+1])
		}
		next.WriteString(" END")
		inner := &stmt{}
		inner.add(`SELECT ` + dimCols("r", in.GroupBy) + `, r.stage_id AS k, 0 AS m, ` + s.daysSQL("nx.reached_at", "r.reached_at") + ` AS v
FROM ` + sc.table + ` r JOIN ` + sc.table + ` nx ON nx.lead_id = r.lead_id AND nx.stage_id = ` + next.String())
		inner.add(` WHERE r.stage_id IN (` + intList(ids[:len(ids)-1]) + `) AND nx.stage_id IN (` + intList(ids[1:]) + `)`)
		inner.add(cohort+sc.rowCond("r"), cohortArgs...)
		st.add(s.percentileSQL(inner.body.String()), inner.args...)
		err = sc.run(ctx, st, func(rows *sql.Rows) error {
			var x stats
			if err := rows.Scan(append(x.dest(), &x.k, &x.m, &x.n, &x.mean, &x.p50, &x.p90)...); err != nil {
				return err
			}
			step := group(x.dims).Steps[index[x.k]]
			step.MedianDaysToNext, step.P90DaysToNext = nullable(x.p50), nullable(x.p90)
			return nil
		})
		if err != nil {
			return nil, err
		}
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

// reached counts the leads of the cohort per group and stage: one FunnelReach row per lead
// and stage.
func (sc *scope) reached(ctx context.Context, in Input, ids []int, index map[int]int, cohort string, cohortArgs []any, group func(dims) *Group) error {
	st := sc.stmt()
	st.add(`SELECT ` + dimList + `, stage_id, COUNT(*) FROM (SELECT ` + dimCols("r", in.GroupBy) + `, r.stage_id
FROM ` + sc.table + ` r WHERE r.stage_id IN (` + intList(ids) + `)`)
	st.add(cohort+sc.rowCond("r")+`) q GROUP BY `+dimList+`, stage_id`, cohortArgs...)
	return sc.run(ctx, st, func(rows *sql.Rows) error {
		var d dims
		var stageID, n int
		if err := rows.Scan(append(d.dest(), &stageID, &n)...); err != nil {
			return err
		}
		group(d).Steps[index[stageID]].Reached = n
		return nil
	})
}

// aggFunnel answers the counts (and with a sketch plan the days to next) from the aggregate.
func (sc *scope) aggFunnel(ctx context.Context, in Input, p *aggPlan, ids []int, index map[int]int, group func(dims) *Group) error {
	cohortStage := 0
	if in.cohort() == CohortEnteredFirstStage {
		cohortStage = ids[0]
	}
	err := sc.aggCounts(ctx, p, cohortStage, ids, func(d dims, k int, rc string, n int) {
		g := group(d)
		if i, ok := index[k]; ok {
			g.Steps[i].Reached = n
			return
		}
		g.Exits = append(g.Exits, &Exit{Stage: sc.set.byID[k].Key, ReasonCode: rc, Count: n})
	})
	if err != nil || !p.sketch || len(ids) < 2 {
		return err
	}
	return sc.aggSketches(ctx, p, cohortStage, pairsCond(ids), func(x *stats) {
		step := group(x.dims).Steps[index[x.k]]
		step.MedianDaysToNext, step.P90DaysToNext = nullable(x.p50), nullable(x.p90)
	})
}

// exits counts the leads of the cohort that entered an exit stage, per stage and reason code.
func (sc *scope) exits(ctx context.Context, in Input, first int, cohort string, cohortArgs []any, group func(dims) *Group) error {
	if len(sc.set.exits) == 0 {
		return nil
	}
	exitIDs := make([]int, len(sc.set.exits))
	for i, e := range sc.set.exits {
		exitIDs[i] = e.ID
	}
	// Every lead in the funnel reached its first stage: that row carries the lead's dimensions.
	st := sc.stmt()
	st.add(`SELECT ` + dimList + `, k, rc, COUNT(DISTINCT lead_id) FROM (SELECT ` + dimCols("r", in.GroupBy) + `,
  t.to_stage_id AS k, t.reason_code AS rc, t.lead_id
FROM ` + sc.table + ` r JOIN stage_transitions t ON t.lead_id = r.lead_id AND t.to_stage_id IN (` + intList(exitIDs) + `)`)
	st.add(` WHERE r.stage_id = ` + strconv.Itoa(sc.set.funnel[0].ID))
	st.add(cohort+sc.rowCond("r")+`) q GROUP BY `+dimList+`, k, rc ORDER BY k, rc`, cohortArgs...)
	return sc.run(ctx, st, func(rows *sql.Rows) error {
		var d dims
		var k, n int
		var rc string
		if err := rows.Scan(append(d.dest(), &k, &rc, &n)...); err != nil {
			return err
		}
		g := group(d)
		g.Exits = append(g.Exits, &Exit{Stage: sc.set.byID[k].Key, ReasonCode: rc, Count: n})
		return nil
	})
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
