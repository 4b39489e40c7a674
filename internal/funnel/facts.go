package funnel

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qualify/qualify/ent/schema"
)

// The rollup is one FunnelLead row per lead. Its stage columns are slots: slot i (1-based) is
// the i-th stage of the stage list, funnel stages first and exit stages after them, each in
// position order, retired stages left out. FunnelBuild records the stage list the rows were
// built for, so the slots of the table and of a query agree (see current).

// slots maps the stages of set to their slots, in slot order.
func (set *stageSet) slots() []slotStage {
	out := make([]slotStage, 0, len(set.funnel)+len(set.exits))
	for _, st := range set.funnel {
		out = append(out, slotStage{id: st.ID, pos: st.Position, funnel: true})
	}
	for _, st := range set.exits {
		out = append(out, slotStage{id: st.ID, pos: st.Position})
	}
	return out
}

type slotStage struct {
	id, pos int
	funnel  bool
}

// slot is the 1-based slot of stage id; 0 when it has none (a retired stage).
func (set *stageSet) slot(id int) int {
	for i, s := range set.slots() {
		if s.id == id {
			return i + 1
		}
	}
	return 0
}

// fitsTable says whether every stage of set has a column in funnel_leads.
func (set *stageSet) fitsTable() bool {
	return len(set.funnel)+len(set.exits) <= schema.FunnelLeadSlots
}

// leadColumns are the columns of a FunnelLead row for n slots, in table order.
func leadColumns(n int) string {
	cols := []string{"id", "created_at", "cohort_month", "source", "owner_id", "team", "industry", "region", "account_id", "exits"}
	for _, k := range "rolc" {
		for i := 1; i <= n; i++ {
			cols = append(cols, string(k)+strconv.Itoa(i))
		}
	}
	return strings.Join(cols, ", ")
}

// factsSQL is the SELECT of the FunnelLead rows, n slots each, of the leads matching leadCond (a
// condition on the column expression it is given, such as "%s IN (?, ?)"), derived from
// stage_transitions. A funnel stage is reached by entering it or any later funnel stage (not
// retired); its owner is the one the transition that first reached it recorded. A stay comes
// from the transition out of the stage (from_entered_at to occurred_at), so it is one row.
func (s *Service) factsSQL(set *stageSet, leadCond string, n int) string {
	var cols []string
	slots := set.slots()
	at := func(i int) *slotStage {
		if i < len(slots) {
			return &slots[i]
		}
		return nil
	}
	for i := range n {
		if st := at(i); st != nil && st.funnel {
			cols = append(cols, fmt.Sprintf("MIN(CASE WHEN x.pos >= %d THEN x.at END)", st.pos))
		} else {
			cols = append(cols, "CAST(NULL AS DOUBLE PRECISION)")
		}
	}
	for i := range n {
		if st := at(i); st != nil && st.funnel {
			cols = append(cols, fmt.Sprintf("MAX(CASE WHEN x.pos >= %d AND (x.prev IS NULL OR x.prev < %d) THEN x.owner_id END)", st.pos, st.pos))
		} else {
			cols = append(cols, "CAST(NULL AS BIGINT)")
		}
	}
	for _, latest := range []bool{true, false} {
		for i := range n {
			st := at(i)
			switch {
			case st == nil:
				cols = append(cols, "CAST(NULL AS DOUBLE PRECISION)")
			case latest:
				cols = append(cols, fmt.Sprintf("MAX(CASE WHEN x.fs = %d AND x.rn = 1 THEN x.d END)", st.id))
			default:
				cols = append(cols, fmt.Sprintf("SUM(CASE WHEN x.fs = %d THEN x.d END)", st.id))
			}
		}
	}
	names := strings.Split(leadColumns(n), ", ")[10:]
	for i := range cols {
		cols[i] += " AS " + names[i]
	}
	pos := "CASE WHEN ts.kind IN ('OPEN', 'WON') AND NOT ts.retired THEN ts.position END"
	fs := "CASE WHEN t.from_entered_at IS NOT NULL THEN t.from_stage_id END"
	return `SELECT l.id AS id, l.created_at AS created_at, ` + s.monthSQL("l.created_at") + ` AS cohort_month, l.source AS source,
  l.owner_id AS owner_id, COALESCE(u.team, '') AS team, COALESCE(a.industry, '') AS industry, COALESCE(a.region, '') AS region,
  l.account_id AS account_id, ex.lines AS exits,
  ` + strings.Join(cols, ",\n  ") + `
FROM leads l
JOIN (
  SELECT t.lead_id, ` + s.epochSQL("t.occurred_at") + ` AS at, t.owner_id, ` + pos + ` AS pos,
    MAX(` + pos + `) OVER (PARTITION BY t.lead_id ORDER BY t.occurred_at, t.id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev,
    ` + fs + ` AS fs, ` + s.daysSQL("t.occurred_at", "t.from_entered_at") + ` AS d,
    ROW_NUMBER() OVER (PARTITION BY t.lead_id, ` + fs + ` ORDER BY t.occurred_at DESC, t.id DESC) AS rn
  FROM stage_transitions t JOIN stages ts ON ts.id = t.to_stage_id
  WHERE ` + fmt.Sprintf(leadCond, "t.lead_id") + `
) x ON x.lead_id = l.id
LEFT JOIN users u ON u.id = l.owner_id
LEFT JOIN accounts a ON a.id = l.account_id
LEFT JOIN (` + s.exitLinesSQL(leadCond) + `) ex ON ex.lead_id = l.id
WHERE ` + fmt.Sprintf(leadCond, "l.id") + `
GROUP BY l.id, l.created_at, l.source, l.owner_id, u.team, a.industry, a.region, l.account_id, ex.lines`
}

// exitLinesSQL derives, per lead matching leadCond, its exits as text (exitLines): one line per
// exit stage, reason code and stage left from ("<stage> <from> <counted> <reason>"), counted 1
// on one line per stage and reason, in a canonical order. The funnel groups by the whole text,
// whose values are few (370 at 1M leads), and adds the lines up in Go: one scan of the rollup
// answers the exits without joining a table of them.
func (s *Service) exitLinesSQL(leadCond string) string {
	nl, agg, order := "chr(10)", "string_agg(line, chr(10) ORDER BY line)", ""
	if !s.pg() {
		nl, agg, order = "char(10)", "group_concat(line, char(10))", " ORDER BY lead_id, line" // SQLite concatenates in the rows' order
	}
	// The reason is escaped (backslash, newline) so that a line is one line.
	return `SELECT lead_id, ` + agg + ` AS lines FROM (
SELECT lead_id, CAST(stage_id AS TEXT) || ' ' || CAST(from_stage_id AS TEXT) || ' ' ||
  CASE WHEN ROW_NUMBER() OVER (PARTITION BY lead_id, stage_id, reason_code ORDER BY from_stage_id) = 1 THEN '1' ELSE '0' END || ' ' ||
  replace(replace(reason_code, '\', '\\'), ` + nl + `, '\n') AS line FROM (
SELECT DISTINCT t.lead_id, t.to_stage_id AS stage_id, t.reason_code, COALESCE(t.from_stage_id, 0) AS from_stage_id
FROM stage_transitions t JOIN stages s ON s.id = t.to_stage_id
WHERE s.kind NOT IN ('OPEN', 'WON') AND ` + fmt.Sprintf(leadCond, "t.lead_id") + `) e` + order + `) el GROUP BY lead_id`
}

// epochSQL is a timestamp as seconds since 1970 (UTC), a float: how reach times are kept. A
// period's bounds become the same float (epochBound), so a time on a bound compares equal to
// it on both databases.
func (s *Service) epochSQL(col string) string {
	if s.pg() {
		return "date_part('epoch', " + col + ")"
	}
	return "((julianday(" + col + ") - 2440587.5) * 86400.0)"
}

// epochBound is a period's bound compared with reach times: its SQL and its argument. On
// PostgreSQL the argument is the float date_part computes for the time (its microseconds over
// 1e6, both IEEE divisions of the same integer), so it compares equal to a reach time of the
// same instant. A bound of date_part(CAST(? AS TIMESTAMPTZ)), a stable function, was computed
// again for every row: two fifths of a conversion trend at 1M leads. On SQLite both are
// julianday's, whose times keep milliseconds.
func (s *Service) epochBound(t time.Time) (string, any) {
	if s.pg() {
		return "CAST(? AS DOUBLE PRECISION)", float64(t.UnixMicro()) / 1e6
	}
	return s.epochSQL("?"), t.UTC()
}

// secondsDays is the days between two reach times (seconds).
func secondsDays(a, b string) string { return "((" + a + " - " + b + ") / 86400.0)" }

// daysSQL is the number of days from b to a, as a float.
func (s *Service) daysSQL(a, b string) string {
	if s.pg() {
		// date_part is float8 arithmetic; EXTRACT is numeric, several times slower.
		return fmt.Sprintf("(date_part('epoch', %s - %s) / 86400.0)", a, b)
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
