package funnel

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/sync/errgroup"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/domainerr"
)

// scope is where one query reads its FunnelLead rows (and exits) from, and which leads it may
// see.
type scope struct {
	svc    *Service
	source Source
	set    *stageSet
	table  string // funnel_leads, or the CTE f derived from the transitions
	lf     *leadFilter
	// inlined is set when the lead filter reads only columns the rollup copies (leadFilter.inline):
	// cond and condArgs then select the rows themselves and no statement needs the leads table.
	inlined  bool
	cond     string
	condArgs []any
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
	sc := &scope{svc: s, source: SourceRollup, set: set, table: "funnel_leads", lf: lf}
	if s.rebuilding.Load() > 0 || !current || !set.fitsTable() {
		// A rebuild will end the wait; a stage list longer than the table's slots will not,
		// so that is answered from the transitions at any size.
		if set.fitsTable() {
			if err := s.fewTransitions(ctx); err != nil {
				return nil, err
			}
		}
		sc.source, sc.table = SourceTransitions, "f"
	} else if cond, args, ok := lf.inline(); ok {
		sc.inlined, sc.cond, sc.condArgs = true, " AND "+cond, args
	} else if lf.filtered {
		sc.cond = " AND r.id IN (SELECT id FROM fl)"
	}
	return sc, nil
}

// fewTransitions is nil when there are at most transitionsLimit() transitions, so that the
// funnel may derive its rows from them in a query's time; else UNAVAILABLE with a retry hint
// (the rollup is being rebuilt, or will be). It reads at most one transition past the limit.
func (s *Service) fewTransitions(ctx context.Context) error {
	limit := s.transitionsLimit()
	rows, err := s.read().QueryContext(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM stage_transitions LIMIT "+strconv.Itoa(limit+1)+") t")
	if err != nil {
		return err
	}
	defer rows.Close()
	var n int
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if n > limit {
		return &domainerr.UnavailableError{What: "funnel rollup (being rebuilt)", RetryAfter: rebuildRetryAfter}
	}
	return nil
}

// rebuildRetryAfter is the retry hint, in seconds, of a query refused while the rollup is
// rebuilt: a rebuild at 1M leads takes about 15 s.
const rebuildRetryAfter = 30

// stmt starts a statement of the scope: the lead filter and, from the transitions, the rows
// derived on the fly as the CTE f.
func (sc *scope) stmt() *stmt {
	lf := sc.lf
	if sc.inlined {
		lf = nil
	}
	st := sc.svc.newStmt(lf)
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
		st.add(sep + "f AS (" + sc.svc.factsSQL(sc.set, cond, n) + ")\n")
	}
	return st
}

// rowCond restricts the FunnelLead rows r to the visible leads matching the filter: the
// filter on the row's own copies of the lead's columns when it reads only those, else a
// semi-join on the leads table, so any where input and any row filter apply alike. Its
// arguments follow the statement's earlier ones.
func (sc *scope) rowCond() (string, []any) { return sc.cond, sc.condArgs }

// col is the column of kind (r, o, l or c) of the slot of stage id for alias.
func (sc *scope) col(alias string, kind byte, id int) string {
	return alias + "." + string(kind) + strconv.Itoa(sc.set.slot(id))
}

// cohortCond selects the rows of alias whose lead is in the cohort of the period.
func (sc *scope) cohortCond(alias string, c Cohort, first int, p Period) (string, []any) {
	from, to := p.From.UTC(), p.To.UTC()
	if c == CohortEnteredFirstStage {
		col := sc.col(alias, 'r', first)
		lo, loArg := sc.svc.epochBound(from)
		hi, hiArg := sc.svc.epochBound(to)
		return fmt.Sprintf(" AND %s >= %s AND %s < %s", col, lo, col, hi), []any{loArg, hiArg}
	}
	col := alias + ".created_at"
	return fmt.Sprintf(" AND %s >= ? AND %s < ?", col, col), []any{from, to}
}

// dimCols are the select list of the grouped dimensions of alias, as columns d1..d8 in that
// order (see dimOrder), followed by a comma when not empty; a dimension not grouped is not
// selected and scans as zero (destOf). A row carries no constant columns: a funnel by owner and
// cohort month with its exits at 1M leads reads 46k rows, and each constant column cost a
// driver value and a conversion per row. first is the stage whose reach the attribution at the
// time (OWNER_AT_REACH, TEAM_AT_REACH) reads; the latter reads the team of that owner from the
// users joined as alias+"u" (see dimJoin). The text keys are the columns themselves: the
// planner's statistics of funnel_leads know columns, not expressions, and a key with a collation
// of its own was estimated from each column alone (65,797 groups of a funnel by owner, cohort
// month and exits at 1M leads, for 46,579 with the statistics' 12,056). With the collated keys
// the statement of a funnel by team, industry and region with exits took 615 ms against 319, by
// owner and cohort month 413 against 360 (psql, median of 9).
func (sc *scope) dimCols(alias string, by []Dimension, first int) string {
	return sc.dimColsCollated(alias, by, first, "", false)
}

// dimColsCollated are dimCols with collate after each text key (wideStats); with all, every
// dimension is selected, those not grouped as constants (percentileSQL's d1..d8).
func (sc *scope) dimColsCollated(alias string, by []Dimension, first int, collate string, all bool) string {
	text := func(expr string) string { return expr + collate }
	expr := map[Dimension]string{
		DimSource:       text(alias + ".source"),
		DimOwner:        "COALESCE(" + alias + ".owner_id, 0)",
		DimTeam:         text(alias + ".team"),
		DimIndustry:     text(alias + ".industry"),
		DimRegion:       text(alias + ".region"),
		DimCohortMonth:  text(alias + ".cohort_month"),
		DimOwnerAtReach: "COALESCE(" + sc.col(alias, 'o', first) + ", 0)",
		DimTeamAtReach:  text("COALESCE(" + alias + "u.team, '')"),
	}
	var b strings.Builder
	for _, d := range dimOrder {
		switch {
		case slices.Contains(by, d):
			b.WriteString(expr[d])
		case all && (d == DimOwner || d == DimOwnerAtReach):
			b.WriteString("0")
		case all:
			b.WriteString("''")
		default:
			continue
		}
		b.WriteString(" AS " + dimAlias[d] + ", ")
	}
	return b.String()
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

// destOf are the scan destinations of the columns of dimCols: those of the grouped dimensions
// of by, or with all every dimension's.
func (d *dims) destOf(by []Dimension, all bool) []any {
	every := [...]any{&d.source, intCol{&d.owner}, &d.team, &d.industry, &d.region, &d.cohortMon, intCol{&d.ownerAt}, &d.teamAt} // in dimOrder
	out := make([]any, 0, len(every))
	for i, dim := range dimOrder {
		if all || slices.Contains(by, dim) {
			out = append(out, every[i])
		}
	}
	return out
}

// intCol scans an integer column (NULL as 0) into p. database/sql converts a driver's int64 to
// an *int by reflection, through its decimal text; a funnel by owner and cohort month at 1M
// leads scans 46k rows of ten integers.
type intCol struct{ p *int }

func (c intCol) Scan(v any) error {
	switch x := v.(type) {
	case int64:
		*c.p = int(x)
	case nil:
		*c.p = 0
	default:
		return fmt.Errorf("funnel: an integer column holds %T", v)
	}
	return nil
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

// statsJob computes, per group of the FunnelLead rows (alias r) of from and where, the figures
// parts names of each value of vals (the count and mean, the median and 90th percentile), and
// calls each for every (group, value) with at least one lead. The percentiles are
// percentile_cont (linear interpolation between the closest ranks) on both databases, so both
// give the same figures. The rows are from's alias r; first is dimCols'.
func (sc *scope) statsJob(by []Dimension, first int, from, where string, args []any, vals []kmv, parts statParts, each func(*stats)) job {
	if sc.svc.pg() {
		return sc.wideStats(by, first, from, where, args, vals, parts, each)
	}
	dcols := sc.dimColsCollated("r", by, first, "", true)
	join, k, m, v := sc.svc.unpivot("r", vals)
	st := sc.stmt()
	st.add(percentileSQL(`SELECT * FROM (SELECT `+dcols+k+` AS k, `+m+` AS m, `+v+` AS v FROM `+from+join+where+`) q0 WHERE v IS NOT NULL`), args...)
	return job{st: st, scan: func(rows *sql.Rows) error {
		x := stats{parts: parts}
		if err := rows.Scan(append(x.destOf(by, true), &x.k, &x.m, &x.n, &x.mean, &x.p50, &x.p90)...); err != nil {
			return err
		}
		each(&x)
		return nil
	}}
}

// wideStats is statsJob on PostgreSQL: one row per group with the aggregates of parts per
// value, which skip the value's nulls. Each ordered-set aggregate sorts only its own values
// (the median and the 90th percentile share the sort); unpivoting every lead into one row per
// value first and sorting those (the SQLite shape) took 2.8x as long at 100k leads. The
// ordered-set aggregates need their input sorted by group: the callers keep the rows to those
// with a value. Only the figures asked for are computed: the funnel's days to the next step
// take no count or mean, nor do a sample's stays (the answer's come from every lead).
func (sc *scope) wideStats(by []Dimension, first int, from, where string, args []any, vals []kmv, parts statParts, each func(*stats)) job {
	// Its groups are sorted: text keys compare by bytes, the same groups as the database's
	// collation (a deterministic one), but the sort calls no strcoll (a quarter less time for
	// the stays of a year by cohort month at 1M leads).
	dcols := sc.dimColsCollated("r", by, first, ` COLLATE "C"`, false)
	cols := make([]string, 0, 4*len(vals))
	for _, x := range vals {
		if parts&statCounts != 0 {
			// SUM, not AVG: float8's AVG keeps the sum of squares as well (an array state per
			// row); the mean is the same division of the same sum (see below).
			cols = append(cols, "COUNT("+x.v+")", "SUM("+x.v+")")
		}
		if parts&statPercentiles != 0 {
			cols = append(cols, "percentile_cont(0.5) WITHIN GROUP (ORDER BY "+x.v+")",
				"percentile_cont(0.9) WITHIN GROUP (ORDER BY "+x.v+")")
		}
	}
	st := sc.stmt()
	st.add(`SELECT `+dcols+strings.Join(cols, ", ")+` FROM `+from+where+groupBy(by), args...)
	return job{st: st, serial: true, scan: func(rows *sql.Rows) error {
		var d dims
		xs := make([]stats, len(vals))
		dest := d.destOf(by, false)
		for i := range xs {
			if parts&statCounts != 0 {
				dest = append(dest, &xs[i].n, &xs[i].mean)
			}
			if parts&statPercentiles != 0 {
				dest = append(dest, &xs[i].p50, &xs[i].p90)
			}
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		for i := range xs {
			if parts&statCounts != 0 && xs[i].n == 0 || parts&statCounts == 0 && !xs[i].p50.Valid {
				continue // no lead of the group has the value
			}
			if parts&statCounts != 0 {
				xs[i].mean.Float64 /= float64(xs[i].n) // float8_avg's Sx / N
			}
			xs[i].dims, xs[i].k, xs[i].m, xs[i].parts = d, vals[i].k, vals[i].m, parts
			each(&xs[i])
		}
		return nil
	}}
}

// groupBy groups by the grouped dimensions of dimCols (by their aliases) and extra: the others
// are constants, which hashing or sorting by cost a third of a count's time at 1M rows. Without
// any, the aggregate still answers no row for no lead.
func groupBy(by []Dimension, extra ...string) string {
	cols := slices.Clone(extra)
	for _, d := range by {
		cols = append(cols, dimAlias[d])
	}
	if len(cols) == 0 {
		return " HAVING COUNT(*) > 0"
	}
	slices.Sort(cols)
	return " GROUP BY " + strings.Join(slices.Compact(cols), ", ")
}

// dimOrder is the order of the columns of dimCols, d1..d8.
var dimOrder = []Dimension{DimSource, DimOwner, DimTeam, DimIndustry, DimRegion, DimCohortMonth, DimOwnerAtReach, DimTeamAtReach}

// dimAlias is the column of dimCols that holds each dimension: d and its place in dimOrder.
var dimAlias = func() map[Dimension]string {
	m := make(map[Dimension]string, len(dimOrder))
	for i, d := range dimOrder {
		m[d] = "d" + strconv.Itoa(i+1)
	}
	return m
}()

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
	parts          statParts // which of the figures the statement computed for the caller
}

// statParts are the figures of a stats row: the count and mean, the median and p90.
type statParts uint8

const (
	statCounts statParts = 1 << iota
	statPercentiles
	statAll = statCounts | statPercentiles
)

// job is one statement of an answer and the scan of each of its rows.
type job struct {
	st   *stmt
	scan func(*sql.Rows) error
	// serial runs the statement without parallel workers: the ordered-set aggregates need
	// their rows sorted by group, and a parallel plan sends every row (860k for the stays of
	// two years at 1M leads) through a Gather Merge to the one process that aggregates,
	// which cost more than the workers saved; the answer's other statements use the other core.
	serial bool
}

// statementSettings are the settings of every analytics statement on PostgreSQL. The JIT
// compiler spends ~90 ms emitting code for the aggregates of a million-row scan and saves less
// than that; the sorts of the ordered-set aggregates spill to disk at the default work_mem.
// The statements are prepared once per connection (pgx's statement cache): from the sixth run
// PostgreSQL may switch to a generic plan, which, not knowing the period's bounds, sorted every
// row for the grouping instead of hashing it (counts by source at 1M leads: 540 ms, not 230).
// Nothing but a rebuild (or a migration) locks the rollup's tables against reads, so a wait of
// lockWait means one runs in another process: the statement gives up (errRollupLocked).
const statementSettings = "SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true), " +
	"set_config('plan_cache_mode', 'force_custom_plan', true), set_config('lock_timeout', '" + lockWait + "', true)"

// lockWait is how long an analytics statement waits for a lock on the tables it reads.
const lockWait = "1s"

// serialSettings are added to statementSettings for a serial job. Its sort by group holds
// every row with a value (890k for the first stage's stays at 1M leads, 85 MB): at 64 MB it
// went to disk.
const serialSettings = ", set_config('max_parallel_workers_per_gather', '0', true), set_config('work_mem', '128MB', true)"

// runAll runs the jobs, on PostgreSQL at once, each in a read transaction of its own (for its
// settings), so that the two cores each scan: an answer takes its slowest statement rather
// than their sum. Their scans take turns under one lock, so they may share the answer's maps.
func (sc *scope) runAll(ctx context.Context, jobs ...job) error {
	if !sc.svc.pg() || len(jobs) == 1 {
		for _, j := range jobs {
			if err := sc.run(ctx, j, nil); err != nil {
				return err
			}
		}
		return nil
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	for _, j := range jobs {
		g.Go(func() error { return sc.run(gctx, j, &mu) })
	}
	return g.Wait()
}

// run executes the job's statement and scans its rows, under mu if not nil.
func (sc *scope) run(ctx context.Context, j job, mu *sync.Mutex) error {
	q := j.st.String()
	if sc.svc.trace != nil {
		if mu != nil {
			mu.Lock()
		}
		sc.svc.trace(q, j.st.args)
		if mu != nil {
			mu.Unlock()
		}
	}
	c := sc.svc.read()
	if sc.svc.pg() {
		tx, err := c.Tx(ctx)
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback() }() // it only read
		c = tx.Client()
		settings := statementSettings
		if j.serial {
			settings += serialSettings
		}
		rows, err := c.QueryContext(ctx, settings)
		if err != nil {
			return fmt.Errorf("funnel: settings: %w", err)
		}
		_ = rows.Close()
	}
	rows, err := c.QueryContext(ctx, q, j.st.args...)
	if err != nil {
		return statementErr(err, q)
	}
	defer rows.Close()
	for rows.Next() {
		if mu != nil {
			mu.Lock()
		}
		err := j.scan(rows)
		if mu != nil {
			mu.Unlock()
		}
		if err != nil {
			return fmt.Errorf("funnel: scan: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return statementErr(err, q)
	}
	return nil
}

// statementErr is the error of statement q: errRollupLocked when it waited lockWait for a lock
// (the driver may report it on the statement or on its rows).
func statementErr(err error, q string) error {
	if lockNotAvailable(err) {
		return errRollupLocked
	}
	return fmt.Errorf("funnel: %w [%s]", err, q)
}

// errRollupLocked answers a statement that waited lockWait for the rollup's tables: a rebuild
// in another process holds them until it commits (about 15 s at 1M leads).
var errRollupLocked = &domainerr.UnavailableError{What: "funnel rollup (being rebuilt)", RetryAfter: rebuildRetryAfter}

// lockNotAvailable says whether err is PostgreSQL's lock_not_available (a lock_timeout).
func lockNotAvailable(err error) bool {
	pgErr, ok := errors.AsType[*pgconn.PgError](err)
	return ok && pgErr.Code == "55P03"
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
