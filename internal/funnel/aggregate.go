package funnel

import (
	"fmt"
	"slices"
	"strings"
)

// The aggregate (funnel_counts, funnel_sketches) is what a lead contributes, summed over leads:
// for each cohort the lead belongs to (CREATED on its creation day; ENTERED_FIRST_STAGE of each
// funnel stage it reached, on the day it reached it) and each of aggDims (all leads, then one
// dimension at a time), a count per stage reached and per exit with its reason, and histogram
// entries for its stays and for the days between any two funnel stages it reached.
//
// The contributions are read from relations shaped like the ledger (lr: FunnelReach rows, le:
// FunnelExit rows) with a sign column sg: +1 adds the rows' contributions, -1 takes them away.
// RecordLead feeds the lead's old ledger rows with -1 and its new facts with +1 into a single
// upsert per table, so keys whose count does not change are not written at all, and each
// transaction locks the rows it changes in key order (no deadlock between transitions).

// aggDims are the dimension keys of the aggregate: "" is every lead.
var aggDims = []Dimension{"", DimSource, DimOwner, DimTeam, DimIndustry, DimRegion}

// ledgerCols are the FunnelReach columns the contributions read.
const ledgerCols = "lead_id, stage_id, lead_created_at, reached_at, source, owner_id, team, industry, region, " +
	"stays, latest_stay_days, total_stay_days"

const funnelKinds = "('OPEN', 'WON')"

// dimRel is a relation of the dimension keys ds, one row each, column dk.
func dimRel(ds []Dimension) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = "SELECT '" + string(d) + "' AS dk"
	}
	return "(" + strings.Join(parts, " UNION ALL ") + ")"
}

// dimValue is the value of the dimension named by d.dk for the ledger row alias.
func dimValue(alias string) string {
	return "CASE d.dk WHEN 'SOURCE' THEN " + alias + ".source" +
		" WHEN 'OWNER' THEN CAST(COALESCE(" + alias + ".owner_id, 0) AS TEXT)" +
		" WHEN 'TEAM' THEN " + alias + ".team WHEN 'INDUSTRY' THEN " + alias + ".industry" +
		" WHEN 'REGION' THEN " + alias + ".region ELSE '' END"
}

// daySQL is "YYYY-MM-DD" of a timestamp, in UTC.
func (s *Service) daySQL(col string) string {
	if s.pg() {
		return fmt.Sprintf("to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD')", col)
	}
	return fmt.Sprintf("strftime('%%Y-%%m-%%d', %s)", col)
}

// countsSQL is the upsert of the count contributions of the ledger relations lr and le for the
// dimension keys ds.
func (s *Service) countsSQL(lr, le string, ds []Dimension) string {
	dk := dimRel(ds)
	return `INSERT INTO funnel_counts (cohort_stage, cohort_day, stage_id, reason_code, dim, dim_value, n)
SELECT cs, cday, k, rc, dk, dv, SUM(sg) FROM (
  SELECT 0 AS cs, ` + s.daySQL("r.lead_created_at") + ` AS cday, r.stage_id AS k, '' AS rc, d.dk, ` + dimValue("r") + ` AS dv, r.sg
  FROM ` + lr + ` r JOIN stages rs ON rs.id = r.stage_id AND rs.kind IN ` + funnelKinds + ` CROSS JOIN ` + dk + ` d
  UNION ALL
  SELECT c.stage_id, ` + s.daySQL("c.reached_at") + `, r.stage_id, '', d.dk, ` + dimValue("r") + `, r.sg
  FROM ` + lr + ` r JOIN stages rs ON rs.id = r.stage_id AND rs.kind IN ` + funnelKinds + `
  JOIN ` + lr + ` c ON c.lead_id = r.lead_id AND c.sg = r.sg
  JOIN stages cs ON cs.id = c.stage_id AND cs.kind IN ` + funnelKinds + ` AND cs.position <= rs.position
  CROSS JOIN ` + dk + ` d
  UNION ALL
  SELECT 0, ` + s.daySQL("r.lead_created_at") + `, e.stage_id, e.reason_code, d.dk, ` + dimValue("r") + `, e.sg
  FROM ` + le + ` e JOIN ` + lr + ` r ON r.lead_id = e.lead_id AND r.sg = e.sg
    AND r.stage_id = (SELECT id FROM stages WHERE kind IN ` + funnelKinds + ` AND NOT retired ORDER BY position LIMIT 1)
  CROSS JOIN ` + dk + ` d
  UNION ALL
  SELECT c.stage_id, ` + s.daySQL("c.reached_at") + `, e.stage_id, e.reason_code, d.dk, ` + dimValue("c") + `, e.sg
  FROM ` + le + ` e JOIN ` + lr + ` c ON c.lead_id = e.lead_id AND c.sg = e.sg
  JOIN stages cs ON cs.id = c.stage_id AND cs.kind IN ` + funnelKinds + `
  CROSS JOIN ` + dk + ` d
) x GROUP BY cs, dk, cday, k, rc, dv HAVING SUM(sg) <> 0
ORDER BY cs, dk, cday, k, rc, dv
ON CONFLICT (cohort_stage, dim, cohort_day, stage_id, reason_code, dim_value) DO UPDATE SET n = funnel_counts.n + excluded.n`
}

// sketchRowsSQL is one row per histogram entry the ledger relation lr contributes, before the
// dimensions: cs, cm (cohort month), m (metric 0 and 1 the latest and cumulative stays in stage
// k, metric 2 the days from reaching funnel stage k to reaching the later k2), v (the value),
// bk (its bucket), sg, and the lead's dimension columns.
func (s *Service) sketchRowsSQL(lr string) string {
	stay := "CASE m.m WHEN 0 THEN r.latest_stay_days ELSE r.total_stay_days END"
	gap := s.daysSQL("b.reached_at", "a.reached_at")
	lead := func(a string) string {
		return a + ".source, " + a + ".owner_id, " + a + ".team, " + a + ".industry, " + a + ".region"
	}
	return `SELECT y.*, ` + bucketIndexSQL("y.v") + ` AS bk FROM (
  SELECT 0 AS cs, ` + s.monthSQL("r.lead_created_at") + ` AS cm, m.m, r.stage_id AS k, 0 AS k2, ` + stay + ` AS v, r.sg, ` + lead("r") + `
  FROM ` + lr + ` r CROSS JOIN (SELECT 0 AS m UNION ALL SELECT 1) m
  WHERE r.stays > 0
  UNION ALL
  SELECT c.stage_id, ` + s.monthSQL("c.reached_at") + `, m.m, r.stage_id, 0, ` + stay + `, r.sg, ` + lead("r") + `
  FROM ` + lr + ` r JOIN ` + lr + ` c ON c.lead_id = r.lead_id AND c.sg = r.sg
  JOIN stages cs ON cs.id = c.stage_id AND cs.kind IN ` + funnelKinds + `
  CROSS JOIN (SELECT 0 AS m UNION ALL SELECT 1) m
  WHERE r.stays > 0
  UNION ALL
  SELECT 0, ` + s.monthSQL("a.lead_created_at") + `, 2, a.stage_id, b.stage_id, ` + gap + `, a.sg, ` + lead("a") + `
  FROM ` + lr + ` a JOIN stages sa ON sa.id = a.stage_id AND sa.kind IN ` + funnelKinds + `
  JOIN ` + lr + ` b ON b.lead_id = a.lead_id AND b.sg = a.sg
  JOIN stages sb ON sb.id = b.stage_id AND sb.kind IN ` + funnelKinds + ` AND sb.position > sa.position
  UNION ALL
  SELECT c.stage_id, ` + s.monthSQL("c.reached_at") + `, 2, a.stage_id, b.stage_id, ` + gap + `, a.sg, ` + lead("a") + `
  FROM ` + lr + ` a JOIN stages sa ON sa.id = a.stage_id AND sa.kind IN ` + funnelKinds + `
  JOIN ` + lr + ` b ON b.lead_id = a.lead_id AND b.sg = a.sg
  JOIN stages sb ON sb.id = b.stage_id AND sb.kind IN ` + funnelKinds + ` AND sb.position > sa.position
  JOIN ` + lr + ` c ON c.lead_id = a.lead_id AND c.sg = a.sg
  JOIN stages cs ON cs.id = c.stage_id AND cs.kind IN ` + funnelKinds + ` AND cs.position <= sa.position
) y`
}

// sketchesSQL is the upsert of the histogram entries of rows (a relation shaped like
// sketchRowsSQL) for the dimension keys ds. Each entry goes to its cohort month, quarter and
// year (cohortPeriods), so that a long period reads a few quarters and years instead of every
// month.
func sketchesSQL(rows string, ds []Dimension) string {
	year := "substr(x.cm, 1, 4)"
	quarter := year + " || '-Q' || CAST((CAST(substr(x.cm, 6, 2) AS INTEGER) + 2) / 3 AS TEXT)"
	return `INSERT INTO funnel_sketches (cohort_stage, cohort_month, metric, stage_id, to_stage_id, dim, dim_value, bucket, n, value_sum)
SELECT cs, CASE p.lvl WHEN 0 THEN x.cm WHEN 1 THEN ` + quarter + ` ELSE ` + year + ` END AS cp,
  m, k, k2, d.dk, ` + dimValue("x") + ` AS dv, bk, SUM(sg), SUM(sg * v)
FROM ` + rows + ` x CROSS JOIN ` + dimRel(ds) + ` d CROSS JOIN (SELECT 0 AS lvl UNION ALL SELECT 1 UNION ALL SELECT 2) p
GROUP BY cs, d.dk, m, k, k2, cp, dv, bk HAVING SUM(sg) <> 0 OR SUM(sg * v) <> 0
ORDER BY cs, d.dk, m, k, k2, cp, dv, bk
ON CONFLICT (cohort_stage, dim, metric, stage_id, to_stage_id, cohort_month, dim_value, bucket)
DO UPDATE SET n = funnel_sketches.n + excluded.n, value_sum = funnel_sketches.value_sum + excluded.value_sum`
}

// exitsSQL derives the FunnelExit rows of the leads matching leadCond from the transitions.
func exitsSQL(leadCond string) string {
	return `SELECT DISTINCT t.lead_id, t.to_stage_id AS stage_id, t.reason_code FROM stage_transitions t
JOIN stages s ON s.id = t.to_stage_id WHERE s.kind NOT IN ` + funnelKinds + ` AND ` + fmt.Sprintf(leadCond, "t.lead_id")
}

// deltaWith is the WITH clause of the delta of the leads matching leadCond (a condition such
// as "%s IN (?, ?)" with ids its arguments): their ledger rows now (sg -1) and their facts
// derived afresh from the transitions (sg +1), as lr and le.
func (s *Service) deltaWith(leadCond string, ids []any) *stmt {
	st := &stmt{pg: s.pg()}
	st.add(`WITH lr AS (SELECT `+ledgerCols+`, -1 AS sg FROM funnel_reaches WHERE `+fmt.Sprintf(leadCond, "lead_id")+`
  UNION ALL SELECT `+ledgerCols+`, 1 FROM (`+s.factsSQL(leadCond)+`) nf),
le AS (SELECT lead_id, stage_id, reason_code, -1 AS sg FROM funnel_exits WHERE `+fmt.Sprintf(leadCond, "lead_id")+`
  UNION ALL SELECT lead_id, stage_id, reason_code, 1 FROM (`+exitsSQL(leadCond)+`) ne)
`, slices.Repeat(ids, 5)...)
	return st
}
