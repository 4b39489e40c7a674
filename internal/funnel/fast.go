package funnel

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// aggPlan is how a query reads the aggregate (funnel_counts, funnel_sketches), when it can.
type aggPlan struct {
	dim            Dimension // "" or the one grouped dimension other than COHORT_MONTH
	month          bool      // grouped by COHORT_MONTH
	fromDay, toDay string    // the period as cohort days, [from, to)
	sketch         bool      // the period is whole months and exact percentiles are not asked for
	periods        []string  // with sketch: the cohort periods of funnel_sketches that tile the period
}

// aggregate returns the plan of in over the aggregate, or nil when the aggregate cannot answer:
// a where input or a row filter (the aggregate has no lead ids), more than one dimension besides
// COHORT_MONTH (it is keyed by one at a time), COHORT_MONTH of an ENTERED_FIRST_STAGE cohort
// (the creation month, while that cohort's rows are keyed by the day the stage was reached), or
// a period not on whole UTC days.
func (sc *scope) aggregate(in Input) *aggPlan {
	if in.Where != nil || sc.lf.filtered || sc.source == SourceTransitions {
		return nil
	}
	p := &aggPlan{}
	for _, d := range in.GroupBy {
		switch {
		case d == DimCohortMonth && in.cohort() == CohortCreated:
			p.month = true
		case d == DimCohortMonth:
			return nil
		case p.dim == "" || p.dim == d:
			p.dim = d
		default:
			return nil
		}
	}
	from, to := in.Period.From.UTC(), in.Period.To.UTC()
	if !midnight(from) || !midnight(to) {
		return nil
	}
	p.fromDay, p.toDay = from.Format(time.DateOnly), to.Format(time.DateOnly)
	if !in.Exact && from.Day() == 1 && to.Day() == 1 {
		p.sketch, p.periods = true, cohortPeriods(from, to, p.month)
	}
	return p
}

// cohortPeriods tiles the months [from, to) with the fewest cohort periods of funnel_sketches:
// whole years ("2025"), whole quarters ("2025-Q2") and months ("2025-07"); only months when the
// answer is grouped by cohort month.
func cohortPeriods(from, to time.Time, months bool) []string {
	var out []string
	for t := from; t.Before(to); {
		switch {
		case !months && t.Month() == time.January && !t.AddDate(1, 0, 0).After(to):
			out = append(out, t.Format("2006"))
			t = t.AddDate(1, 0, 0)
		case !months && (t.Month()-1)%3 == 0 && !t.AddDate(0, 3, 0).After(to):
			out = append(out, fmt.Sprintf("%d-Q%d", t.Year(), (t.Month()-1)/3+1))
			t = t.AddDate(0, 3, 0)
		default:
			out = append(out, t.Format("2006-01"))
			t = t.AddDate(0, 1, 0)
		}
	}
	return out
}

func midnight(t time.Time) bool { return t.Equal(t.Truncate(24 * time.Hour)) }

// binary makes PostgreSQL group and sort the text expression by bytes, not by the database's
// locale, several times cheaper over the tens of thousands of aggregate rows a query reads;
// the order of the groups is Go's (sortGroups).
func (s *Service) binary(expr string) string {
	if s.pg() {
		return expr + ` COLLATE "C"`
	}
	return expr
}

// aggCols are the dimension columns d1..d6 of an aggregate row whose dimension value is the
// expression value and cohort month month.
func (p *aggPlan) aggCols(value, month string) string {
	col := func(d Dimension, zero string) string {
		if p.dim != d {
			return zero
		}
		if d == DimOwner {
			return "CAST(" + value + " AS BIGINT)"
		}
		return value
	}
	if !p.month {
		month = "''"
	}
	return strings.Join([]string{
		col(DimSource, "''") + " AS d1", col(DimOwner, "0") + " AS d2", col(DimTeam, "''") + " AS d3",
		col(DimIndustry, "''") + " AS d4", col(DimRegion, "''") + " AS d5", month + " AS d6",
	}, ", ")
}

// aggCounts reads, per group, the reached counts of the stages ids and the exits by reason of the
// leads of cohortStage (0 for CREATED).
func (sc *scope) aggCounts(ctx context.Context, p *aggPlan, cohortStage int, ids []int, scan func(d dims, stageID int, rc string, n int)) error {
	all := append([]int{}, ids...)
	for _, e := range sc.set.exits {
		all = append(all, e.ID)
	}
	st := sc.stmt()
	st.add(`SELECT `+dimList+`, k, rc, SUM(n) FROM (SELECT `+p.aggCols(sc.svc.binary("dim_value"), sc.svc.binary("substr(cohort_day, 1, 7)"))+`, stage_id AS k, reason_code AS rc, n
FROM funnel_counts WHERE cohort_stage = ? AND dim = ? AND cohort_day >= ? AND cohort_day < ?
  AND stage_id IN (`+intList(all)+`) AND n > 0) q
GROUP BY `+dimList+`, k, rc ORDER BY k, rc`, cohortStage, string(p.dim), p.fromDay, p.toDay)
	return sc.run(ctx, st, func(rows *sql.Rows) error {
		var d dims
		var k, n int
		var rc string
		if err := rows.Scan(append(d.dest(), &k, &rc, &n)...); err != nil {
			return err
		}
		scan(d, k, rc, n)
		return nil
	})
}

// aggSketches runs sketchPercentileSQL over the histograms of cohortStage selected by cond (a
// condition on stage_id, to_stage_id and metric).
func (sc *scope) aggSketches(ctx context.Context, p *aggPlan, cohortStage int, cond string, scan func(x *stats)) error {
	// Only the two varying keys, g1 (the dimension's value) and g2 (the cohort month), go
	// through the sorts and windows; narrow rows sort in memory.
	g1, g2 := "''", "''"
	if p.dim != "" {
		g1 = sc.svc.binary("dim_value")
	}
	if p.month {
		g2 = sc.svc.binary("cohort_month")
	}
	hist := `SELECT g1, g2, k, k2, m, bucket, CAST(SUM(n) AS INTEGER) AS n, SUM(s) AS s FROM (
  SELECT ` + g1 + ` AS g1, ` + g2 + ` AS g2, stage_id AS k, to_stage_id AS k2, metric AS m, bucket, n, value_sum AS s
  FROM funnel_sketches WHERE cohort_stage = ? AND dim = ? AND (` + cond + `)
    AND cohort_month IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(p.periods)), ", ") + `) AND n > 0
) q GROUP BY g1, g2, k, k2, m, bucket`
	args := []any{cohortStage, string(p.dim)}
	for _, c := range p.periods {
		args = append(args, c)
	}
	st := sc.stmt()
	st.add(sketchPercentileSQL(hist, p.aggCols("g1", "g2")), args...)
	return sc.run(ctx, st, func(rows *sql.Rows) error {
		var x stats
		var k2 int // the pair's second stage: known from k
		if err := rows.Scan(append(x.dest(), &x.k, &k2, &x.m, &x.n, &x.mean, &x.p50, &x.p90)...); err != nil {
			return err
		}
		scan(&x)
		return nil
	})
}

// pairsCond selects the days-to-next histograms of the consecutive stages of ids.
func pairsCond(ids []int) string {
	var parts []string
	for i := 0; i+1 < len(ids); i++ {
		parts = append(parts, fmt.Sprintf("(stage_id = %d AND to_stage_id = %d)", ids[i], ids[i+1]))
	}
	return "metric = 2 AND (" + strings.Join(parts, " OR ") + ")"
}

// staysCond selects the stay histograms of the stages ids.
func staysCond(ids []int) string {
	return "metric IN (0, 1) AND to_stage_id = 0 AND stage_id IN (" + intList(ids) + ")"
}

// dayBucketSQL is the first day of the week (Monday) or month of a cohort day "YYYY-MM-DD".
func (s *Service) dayBucketSQL(col string, iv Interval) string {
	if iv == IntervalMonth {
		return "substr(" + col + ", 1, 7) || '-01'"
	}
	if s.pg() {
		return "to_char(date_trunc('week', CAST(" + col + " AS timestamp)), 'YYYY-MM-DD')"
	}
	return "date(" + col + ", '-6 days', 'weekday 1')"
}

// aggTrend reads the trend from the counts of the cohort of the from stage: the leads that
// reached it on each day, and how many of them reached to.
func (sc *scope) aggTrend(ctx context.Context, p *aggPlan, iv Interval, from, to int, res *Trend) error {
	st := sc.stmt()
	st.add(`SELECT b, SUM(CASE WHEN stage_id = `+strconv.Itoa(from)+` THEN n ELSE 0 END), SUM(CASE WHEN stage_id = `+strconv.Itoa(to)+` THEN n ELSE 0 END)
FROM (SELECT `+sc.svc.dayBucketSQL("cohort_day", iv)+` AS b, stage_id, n FROM funnel_counts
  WHERE cohort_stage = ? AND dim = '' AND cohort_day >= ? AND cohort_day < ? AND stage_id IN (?, ?) AND n > 0) q
GROUP BY b ORDER BY b`, from, p.fromDay, p.toDay, from, to)
	return sc.run(ctx, st, func(rows *sql.Rows) error {
		pt := &TrendPoint{}
		if err := rows.Scan(&pt.PeriodStart, &pt.ReachedFrom, &pt.ReachedTo); err != nil {
			return err
		}
		if pt.ReachedFrom > 0 {
			pt.Conversion = ptr(float64(pt.ReachedTo) / float64(pt.ReachedFrom))
		}
		res.Points = append(res.Points, pt)
		return nil
	})
}
