package funnel

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/qualify/qualify/ent"
)

// scope is where one query reads its FunnelLead rows (and exits) from, and which leads it may
// see.
type scope struct {
	svc    *Service
	source Source
	set    *stageSet
	table  string // funnel_leads, or the CTE f derived from the transitions
	exits  string // funnel_exits, or the CTE fx
	lf     *leadFilter
}

// open captures the caller's lead filter (the where input and the row filter) and picks the
// source: the rollup, unless it is being rebuilt, was built for another stage list or has no
// column for a stage; then the rows are derived from the transitions in the statement.
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
	sc := &scope{svc: s, source: SourceRollup, set: set, table: "funnel_leads", exits: "funnel_exits", lf: lf}
	if s.rebuilding.Load() > 0 || !current || !set.fitsTable() {
		sc.source, sc.table, sc.exits = SourceTransitions, "f", "fx"
	}
	return sc, nil
}

// stmt starts a statement of the scope: the lead filter and, from the transitions, the rows
// derived on the fly as the CTEs f and fx.
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
		n := max(len(sc.set.funnel)+len(sc.set.exits), 1)
		st.add(sep + "f AS (" + sc.svc.factsSQL(sc.set, cond, n) + "),\nfx AS (" + exitsSQL(cond) + ")\n")
	}
	return st
}

// rowCond restricts rows of alias (a FunnelLead) to the visible leads matching the filter: a
// semi-join on the lead's own columns, so any where input and any row filter apply alike.
func (sc *scope) rowCond(alias string) string {
	if sc.source == SourceRollup && sc.lf.filtered {
		return " AND " + alias + ".id IN (SELECT id FROM fl)"
	}
	return ""
}

// col is the column of kind (r, o, l or c) of the slot of stage id for alias.
func (sc *scope) col(alias string, kind byte, id int) string {
	return alias + "." + string(kind) + strconv.Itoa(sc.set.slot(id))
}

// cohortCond selects the rows of alias whose lead is in the cohort of the period.
func (sc *scope) cohortCond(alias string, c Cohort, first int, p Period) (string, []any) {
	from, to := p.From.UTC(), p.To.UTC()
	if c == CohortEnteredFirstStage {
		col, b := sc.col(alias, 'r', first), sc.svc.epochParam()
		return fmt.Sprintf(" AND %s >= %s AND %s < %s", col, b, col, b), []any{from, to}
	}
	col := alias + ".created_at"
	return fmt.Sprintf(" AND %s >= ? AND %s < ?", col, col), []any{from, to}
}

// dimCols are the dimension columns d1..d8 of alias, constant when not grouped. first is the
// stage whose reach the attribution at the time (OWNER_AT_REACH, TEAM_AT_REACH) reads; the
// latter reads the team of that owner from the users joined as alias+"u" (see dimJoin).
func (sc *scope) dimCols(alias string, by []Dimension, first int) string {
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
		col(DimOwnerAtReach, "COALESCE("+sc.col(alias, 'o', first)+", 0)", "0") + " AS d7",
		col(DimTeamAtReach, "COALESCE("+alias+"u.team, '')", "''") + " AS d8",
	}, ", ")
}

// dimJoin joins the users of the owners at the time when grouped by TEAM_AT_REACH.
func (sc *scope) dimJoin(alias string, by []Dimension, first int) string {
	for _, d := range by {
		if d == DimTeamAtReach {
			return " LEFT JOIN users " + alias + "u ON " + alias + "u.id = " + sc.col(alias, 'o', first)
		}
	}
	return ""
}

const dimList = "d1, d2, d3, d4, d5, d6, d7, d8"

// dims are the scanned dimension values of a row.
type dims struct {
	source                            string
	owner                             int
	team, industry, region, cohortMon string
	ownerAt                           int
	teamAt                            string
}

func (d *dims) dest() []any {
	return []any{&d.source, &d.owner, &d.team, &d.industry, &d.region, &d.cohortMon, &d.ownerAt, &d.teamAt}
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
		case DimOwnerAtReach:
			if d.ownerAt != 0 {
				k.OwnerAtReachID = ptr(d.ownerAt)
			}
		case DimTeamAtReach:
			k.TeamAtReach = ptr(d.teamAt)
		}
	}
	return k
}

func ptr[T any](v T) *T { return &v }

// stayStats computes, per group of the FunnelLead rows (alias r) of from and where, the count,
// mean, median and 90th percentile of each value of vals, and calls each for every (group, value)
// with at least one lead. The percentiles are percentile_cont (linear interpolation between the
// closest ranks) on both databases, so both give the same figures.
func (sc *scope) stayStats(ctx context.Context, dcols, from, where string, args []any, vals []kmv, each func(*stats)) error {
	if sc.svc.pg() {
		return sc.wideStats(ctx, dcols, from, where, args, vals, each)
	}
	join, k, m, v := sc.svc.unpivot("r", vals)
	st := sc.stmt()
	st.add(percentileSQL(`SELECT * FROM (SELECT `+dcols+`, `+k+` AS k, `+m+` AS m, `+v+` AS v FROM `+from+join+where+`) q0 WHERE v IS NOT NULL`), args...)
	return sc.run(ctx, st, func(rows *sql.Rows) error {
		var x stats
		if err := rows.Scan(append(x.dest(), &x.k, &x.m, &x.n, &x.mean, &x.p50, &x.p90)...); err != nil {
			return err
		}
		each(&x)
		return nil
	})
}

// wideStats is stayStats on PostgreSQL: one row per group with four aggregates per value, which
// skip the value's nulls. Each ordered-set aggregate sorts only its own values; unpivoting every
// lead into one row per value first and sorting those (the SQLite shape) took 2.8× as long at
// 100k leads.
func (sc *scope) wideStats(ctx context.Context, dcols, from, where string, args []any, vals []kmv, each func(*stats)) error {
	cols := make([]string, 0, 4*len(vals))
	for _, x := range vals {
		cols = append(cols, "COUNT("+x.v+")", "AVG("+x.v+")",
			"percentile_cont(0.5) WITHIN GROUP (ORDER BY "+x.v+")", "percentile_cont(0.9) WITHIN GROUP (ORDER BY "+x.v+")")
	}
	st := sc.stmt()
	st.add(`SELECT `+dcols+`, `+strings.Join(cols, ", ")+` FROM `+from+where+` GROUP BY `+dimList, args...)
	return sc.run(ctx, st, func(rows *sql.Rows) error {
		var d dims
		xs := make([]stats, len(vals))
		dest := d.dest()
		for i := range xs {
			dest = append(dest, &xs[i].n, &xs[i].mean, &xs[i].p50, &xs[i].p90)
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		for i := range xs {
			if xs[i].n == 0 {
				continue
			}
			xs[i].dims, xs[i].k, xs[i].m = d, vals[i].k, vals[i].m
			each(&xs[i])
		}
		return nil
	})
}

// percentileSQL aggregates inner (columns d1..d8, k, m, v) into d1..d8, k, m, count, mean, the
// median and the 90th percentile of v, percentile_cont's formula over ROW_NUMBER and COUNT
// windows (SQLite has no ordered-set aggregates).
func percentileSQL(inner string) string {
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

// unpivot is the rows (k, m, v) of the FunnelLead rows of alias, one per value of vals that is
// not null, for SQLite, which has no LATERAL: a join with the constant list of keys.
func (s *Service) unpivot(alias string, vals []kmv) (from, k, m, v string) {
	rows := make([]string, len(vals))
	var cv strings.Builder
	cv.WriteString("CASE p.i")
	for i, x := range vals {
		rows[i] = fmt.Sprintf("SELECT %d AS i, %d AS k, %d AS m", i, x.k, x.m)
		fmt.Fprintf(&cv, " WHEN %d THEN %s", i, x.v)
	}
	cv.WriteString(" END")
	return " CROSS JOIN (" + strings.Join(rows, " UNION ALL ") + ") p", "p.k", "p.m", cv.String()
}

// kmv is one value of a FunnelLead row for stayStats: the expression v under the keys k and m.
type kmv struct {
	k, m int
	v    string
}

// stats is the figures of one value of one group (stayStats).
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
