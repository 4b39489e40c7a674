package funnel

import (
	"context"
	"regexp"
	"strconv"
	"strings"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/internal/store"
)

// leadFilter is the SELECT of the ids of the leads the caller may see that match where, as ent
// builds it: with the caller's row filter (query interceptors) applied. filtered is false when
// the SELECT has no condition at all, so a query may skip it.
type leadFilter struct {
	query    string
	args     []any
	filtered bool
	dialect  string
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
	lf.dialect = s.dialect
	return &lf, nil
}

// rollupColumns are the lead's columns that a FunnelLead row copies under the same name, kept in
// step by the rollup's hooks: a filter reading only these needs no leads table.
var rollupColumns = map[string]bool{"id": true, "created_at": true, "source": true, "owner_id": true, "account_id": true}

var (
	leadRef     = regexp.MustCompile("[\"`]leads[\"`]\\.[\"`]([a-z_0-9]+)[\"`]")
	leadTable   = regexp.MustCompile("(?i)(FROM|JOIN)\\s+[\"`]?leads[\"`]?(\\s|$|\\))")
	placeholder = regexp.MustCompile(`\$([0-9]+)`)
)

// inline is the filter as a condition on the FunnelLead row of alias r itself, with "?"
// placeholders, when every column of the lead it reads is one the row copies (rollupColumns):
// then the query reads only funnel_leads, where the semi-join on the leads table read 1M lead
// rows for a filter on the owner. Edge predicates stay subqueries on their own tables (users,
// accounts) keyed by the copied foreign keys. ok is false for anything else (another column,
// a nested subquery over leads, whose references could not be told from the outer ones).
func (lf *leadFilter) inline() (cond string, args []any, ok bool) {
	const head = " FROM "
	i := strings.Index(lf.query, " WHERE ")
	if !lf.filtered || i < 0 || !strings.Contains(lf.query[:i], head) {
		return "", nil, false
	}
	pred := lf.query[i+len(" WHERE "):]
	if leadTable.MatchString(pred) {
		return "", nil, false
	}
	for _, m := range leadRef.FindAllStringSubmatch(pred, -1) {
		if !rollupColumns[m[1]] {
			return "", nil, false
		}
	}
	if lf.dialect == dialect.Postgres {
		// Back to "?" in text order, so the condition numbers like the rest of the statement.
		if strings.Contains(pred, "?") {
			return "", nil, false
		}
		n, inOrder := 0, true
		pred = placeholder.ReplaceAllStringFunc(pred, func(p string) string {
			n++
			inOrder = inOrder && p == "$"+strconv.Itoa(n)
			return "?"
		})
		if !inOrder || n != len(lf.args) {
			return "", nil, false
		}
	} else if strings.Count(pred, "?") != len(lf.args) {
		return "", nil, false
	}
	return "(" + leadRef.ReplaceAllString(pred, "r.$1") + ")", lf.args, true
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
	return st.prefix + store.Dollars(body, st.prefixN) // the prefix's placeholders are $1..$prefixN
}
