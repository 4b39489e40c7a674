package funnel

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/lead"
)

// factColumns are the columns of funnel_reaches that factsSQL produces, in order.
const factColumns = "lead_id, stage_id, lead_created_at, cohort_month, reached_at, entered, source, " +
	"owner_id, team, industry, region, stays, latest_stay_days, total_stay_days"

// factsSQL is the SELECT that derives the FunnelReach rows of the leads matching leadCond (a
// condition on the column expression it is given, such as "%s = ?") from stage_transitions:
// one row per lead and stage it reached. A funnel stage (open or won) is reached by entering it
// or any later funnel stage; an exit stage by entering it. A retired stage is in no funnel: it
// is reached only by entering it, and entering it implies no other stage (a lead that went
// sal → demo_booked → sal, demo_booked retired, never reached sql). Stays come from the transitions out
// of the stage (from_entered_at to occurred_at), so a stay is one row and needs no window.
func (s *Service) factsSQL(leadCond string) string {
	days := s.daysSQL("x.occurred_at", "x.from_entered_at")
	return `SELECT l.id AS lead_id, rs.id AS stage_id, l.created_at AS lead_created_at,
  ` + s.monthSQL("l.created_at") + ` AS cohort_month, MIN(t.occurred_at) AS reached_at,
  MAX(CASE WHEN t.to_stage_id = rs.id THEN 1 ELSE 0 END) = 1 AS entered,
  l.source AS source, l.owner_id AS owner_id, COALESCE(u.team, '') AS team,
  COALESCE(a.industry, '') AS industry, COALESCE(a.region, '') AS region,
  COALESCE(MAX(st.n), 0) AS stays, MAX(st.latest) AS latest_stay_days, MAX(st.total) AS total_stay_days
FROM leads l
JOIN stage_transitions t ON t.lead_id = l.id
JOIN stages ts ON ts.id = t.to_stage_id
JOIN stages rs ON rs.id = ts.id OR (rs.kind IN ('OPEN', 'WON') AND ts.kind IN ('OPEN', 'WON') AND ts.position >= rs.position
  AND NOT rs.retired AND NOT ts.retired)
LEFT JOIN users u ON u.id = l.owner_id
LEFT JOIN accounts a ON a.id = l.account_id
LEFT JOIN (
  SELECT lead_id, stage_id, COUNT(*) AS n, SUM(d) AS total, MAX(CASE WHEN rn = 1 THEN d END) AS latest
  FROM (
    SELECT x.lead_id, x.from_stage_id AS stage_id, ` + days + ` AS d,
      ROW_NUMBER() OVER (PARTITION BY x.lead_id, x.from_stage_id ORDER BY x.occurred_at DESC, x.id DESC) AS rn
    FROM stage_transitions x
    WHERE x.from_stage_id IS NOT NULL AND x.from_entered_at IS NOT NULL AND ` + fmt.Sprintf(leadCond, "x.lead_id") + `
  ) sx GROUP BY lead_id, stage_id
) st ON st.lead_id = l.id AND st.stage_id = rs.id
WHERE ` + fmt.Sprintf(leadCond, "l.id") + `
GROUP BY l.id, rs.id, l.created_at, l.source, l.owner_id, u.team, a.industry, a.region`
}

// daysSQL is the number of days from b to a, as a float.
func (s *Service) daysSQL(a, b string) string {
	if s.pg() {
		return fmt.Sprintf("(EXTRACT(EPOCH FROM (%s - %s)) / 86400.0)::float8", a, b)
	}
	return fmt.Sprintf("(julianday(%s) - julianday(%s))", a, b)
}

// monthSQL is "YYYY-MM" of a timestamp, in UTC.
func (s *Service) monthSQL(col string) string {
	if s.pg() {
		return fmt.Sprintf("to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM')", col)
	}
	return fmt.Sprintf("strftime('%%Y-%%m', %s)", col)
}

// bucketSQL is the first day ("YYYY-MM-DD", UTC) of the week (Monday) or month of a timestamp.
func (s *Service) bucketSQL(col string, iv Interval) string {
	unit := "month"
	if iv == IntervalWeek {
		unit = "week"
	}
	if s.pg() {
		return fmt.Sprintf("to_char(date_trunc('%s', %s AT TIME ZONE 'UTC'), 'YYYY-MM-DD')", unit, col)
	}
	if iv == IntervalWeek {
		return fmt.Sprintf("date(%s, '-6 days', 'weekday 1')", col)
	}
	return fmt.Sprintf("strftime('%%Y-%%m-01', %s)", col)
}

// leadFilter is the SELECT of the ids of the leads the caller may see that match where, as ent
// builds it: with the caller's row filter (query interceptors) applied. filtered is false when
// the SELECT has no condition at all, so a query may skip it.
type leadFilter struct {
	query    string
	args     []any
	filtered bool
}

// leads captures the SQL of client.Lead.Query() for where: the query runs once with its
// interceptors, and records the finished SELECT before making it return nothing.
func (s *Service) leads(ctx context.Context, where *ent.LeadWhereInput) (*leadFilter, error) {
	q := s.read().Lead.Query()
	if where != nil {
		p, err := where.P()
		if err != nil {
			return nil, err
		}
		q = q.Where(p)
	}
	var lf leadFilter
	var n []int
	// An aggregate function sees the finished selector (modifiers run before the predicates).
	// The capture is a fresh selector over the same table, with the finished predicate wrapped
	// in an AND: ent renders a selector's own top-level predicate only once correctly (a clone
	// loses the operator of GT/GTE/LT/LTE; a second rendering numbers PostgreSQL's placeholders
	// from where the first stopped), while a wrapped predicate renders afresh each time.
	err := q.Aggregate(func(sel *sql.Selector) string {
		c := sql.Dialect(sel.Dialect()).Select(sel.C(lead.FieldID)).From(sql.Table(sel.TableName()))
		if p := sel.P(); p != nil {
			c.Where(sql.And(p))
		}
		lf.query, lf.args = c.Query()
		sel.Where(sql.False())
		return "COUNT(*)"
	}).Scan(ctx, &n)
	if err != nil {
		return nil, err
	}
	lf.filtered = strings.Contains(lf.query, " WHERE ")
	return &lf, nil
}

// stmt assembles one statement: an optional prefix already in the dialect's placeholders
// (the captured lead SELECT) and a body written with "?" placeholders.
type stmt struct {
	pg      bool
	prefix  string
	prefixN int
	body    strings.Builder
	args    []any
}

// newStmt starts a statement; with a filtered lead set it opens with "WITH fl AS (<leads>)".
func (s *Service) newStmt(lf *leadFilter) *stmt {
	st := &stmt{pg: s.pg()}
	if lf != nil && lf.filtered {
		st.prefix, st.prefixN = "WITH fl AS ("+lf.query+")", len(lf.args)
		st.args = append(st.args, lf.args...)
	}
	return st
}

func (st *stmt) add(sqlText string, args ...any) {
	st.body.WriteString(sqlText)
	st.args = append(st.args, args...)
}

// String renumbers the body's placeholders after the prefix's for PostgreSQL.
func (st *stmt) String() string {
	body := st.body.String()
	if !st.pg {
		return st.prefix + body
	}
	n := st.prefixN // the prefix's placeholders are $1..$n
	var b strings.Builder
	b.WriteString(st.prefix)
	for _, r := range body {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
