package funnel

import (
	"context"
	"strconv"
	"strings"

	"entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/lead"
)

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
