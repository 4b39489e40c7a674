package funnel

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/qualify/qualify/ent"
)

// scope is where one query reads its FunnelReach rows from, and which leads it may see.
type scope struct {
	svc    *Service
	source Source
	set    *stageSet
	table  string // funnel_reaches, or the CTE f derived from the transitions
	lf     *leadFilter
}

// open picks the source (the rollup unless a where filter asks for the transitions), captures
// the caller's lead filter and starts the statement.
func (s *Service) open(ctx context.Context, where *ent.LeadWhereInput) (*scope, error) {
	set, err := s.stages(ctx)
	if err != nil {
		return nil, err
	}
	lf, err := s.leads(ctx, where)
	if err != nil {
		return nil, err
	}
	current, err := s.current(ctx, set)
	if err != nil {
		return nil, err
	}
	sc := &scope{svc: s, source: SourceRollup, set: set, table: "funnel_reaches", lf: lf}
	// A rollup built for another stage list (a stage added, retired or moved since) is wrong
	// until its rebuild: the transitions answer meanwhile.
	if where != nil || s.rebuilding.Load() > 0 || !current {
		sc.source, sc.table = SourceTransitions, "f"
	}
	return sc, nil
}

// stmt starts a statement of the scope: the lead filter and, from the transitions, the rows
// derived on the fly as the CTE f.
func (sc *scope) stmt() *stmt {
	st := sc.svc.newStmt(sc.lf)
	if sc.source == SourceTransitions {
		sep := "WITH "
		if st.prefix != "" {
			sep = ", "
		}
		cond := "%s IS NOT NULL"
		if sc.lf.filtered {
			cond = "%s IN (SELECT id FROM fl)"
		}
		st.add(sep + "f AS (" + sc.svc.factsSQL(cond) + ")\n")
	}
	return st
}

// rowCond restricts rows of alias to the visible leads when the rollup is read under a filter.
func (sc *scope) rowCond(alias string) string {
	if sc.source == SourceRollup && sc.lf.filtered {
		return " AND " + alias + ".lead_id IN (SELECT id FROM fl)"
	}
	return ""
}

// cohortCond selects the rows of alias whose lead is in the cohort of the period.
func (sc *scope) cohortCond(alias string, c Cohort, first int, p Period) (string, []any) {
	from, to := p.From.UTC(), p.To.UTC()
	if c == CohortEnteredFirstStage {
		return fmt.Sprintf(" AND %s.lead_id IN (SELECT c.lead_id FROM %s c WHERE c.stage_id = %d AND c.reached_at >= ? AND c.reached_at < ?)",
			alias, sc.table, first), []any{from, to}
	}
	return fmt.Sprintf(" AND %s.lead_created_at >= ? AND %s.lead_created_at < ?", alias, alias), []any{from, to}
}

// dimCols are the six dimension columns d1..d6 of alias, constant when not grouped.
func dimCols(alias string, by []Dimension) string {
	has := map[Dimension]bool{}
	for _, d := range by {
		has[d] = true
	}
	col := func(d Dimension, expr, zero string) string {
		if has[d] {
			return expr
		}
		return zero
	}
	return strings.Join([]string{
		col(DimSource, alias+".source", "''") + " AS d1",
		col(DimOwner, "COALESCE("+alias+".owner_id, 0)", "0") + " AS d2",
		col(DimTeam, alias+".team", "''") + " AS d3",
		col(DimIndustry, alias+".industry", "''") + " AS d4",
		col(DimRegion, alias+".region", "''") + " AS d5",
		col(DimCohortMonth, alias+".cohort_month", "''") + " AS d6",
	}, ", ")
}

const dimList = "d1, d2, d3, d4, d5, d6"

// dims are the scanned dimension values of a row.
type dims struct {
	source                            string
	owner                             int
	team, industry, region, cohortMon string
}

func (d *dims) dest() []any {
	return []any{&d.source, &d.owner, &d.team, &d.industry, &d.region, &d.cohortMon}
}

// key is the GroupKey of d with only the dimensions of by set.
func (d dims) key(by []Dimension) GroupKey {
	var k GroupKey
	for _, dim := range by {
		switch dim {
		case DimSource:
			k.Source = ptr(d.source)
		case DimOwner:
			if d.owner != 0 {
				k.OwnerID = ptr(d.owner)
			}
		case DimTeam:
			k.Team = ptr(d.team)
		case DimIndustry:
			k.Industry = ptr(d.industry)
		case DimRegion:
			k.Region = ptr(d.region)
		case DimCohortMonth:
			k.CohortMonth = ptr(d.cohortMon)
		}
	}
	return k
}

func ptr[T any](v T) *T { return &v }

// percentileSQL aggregates inner (columns d1..d6, k, m, v) into d1..d6, k, m, count, mean, the
// median and the 90th percentile of v. Both are percentile_cont (linear interpolation between
// the closest ranks): PostgreSQL's own, and on SQLite the same formula over ROW_NUMBER and
// COUNT windows, so both databases give the same figures.
func (s *Service) percentileSQL(inner string) string {
	if s.pg() {
		return `SELECT ` + dimList + `, k, m, COUNT(*), AVG(v),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY v), percentile_cont(0.9) WITHIN GROUP (ORDER BY v)
FROM (` + inner + `) q GROUP BY ` + dimList + `, k, m`
	}
	interp := func(p string) string {
		h := p + " * (cnt - 1)"
		lo := "MAX(CASE WHEN rn = CAST(" + h + " AS INTEGER) + 1 THEN v END)"
		hi := "MAX(CASE WHEN rn = CAST(" + h + " AS INTEGER) + 2 THEN v END)"
		frac := "MAX(" + h + " - CAST(" + h + " AS INTEGER))"
		return lo + " + " + frac + " * (COALESCE(" + hi + ", " + lo + ") - " + lo + ")"
	}
	return `SELECT ` + dimList + `, k, m, MAX(cnt), AVG(v), ` + interp("0.5") + `, ` + interp("0.9") + `
FROM (SELECT q.*, ROW_NUMBER() OVER (PARTITION BY ` + dimList + `, k, m ORDER BY v) AS rn,
  COUNT(*) OVER (PARTITION BY ` + dimList + `, k, m) AS cnt FROM (` + inner + `) q) w
GROUP BY ` + dimList + `, k, m`
}

// stats is one row of percentileSQL.
type stats struct {
	dims
	k, m           int
	n              int
	mean, p50, p90 sql.NullFloat64
}

// run executes the statement and calls scan for each row.
func (sc *scope) run(ctx context.Context, st *stmt, scan func(*sql.Rows) error) error {
	if sc.svc.trace != nil {
		sc.svc.trace(st.String(), st.args)
	}
	rows, err := sc.svc.read().QueryContext(ctx, st.String(), st.args...)
	if err != nil {
		return fmt.Errorf("funnel: %w [%s]", err, st.String())
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("funnel: scan: %w", err)
		}
	}
	return rows.Err()
}

// intList is ids as SQL literals (stage ids: integers read from the database).
func intList(ids []int) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = strconv.Itoa(id)
	}
	return strings.Join(q, ", ")
}

func nullable(f sql.NullFloat64) *float64 {
	if !f.Valid {
		return nil
	}
	return &f.Float64
}
