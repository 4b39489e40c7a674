// Package keyset is the null-aware half of the generated Relay pagination: cursor predicates and
// ORDER BY terms in which NULL sorts below every value (ASC: nulls first, DESC: nulls last) on
// SQLite and PostgreSQL alike. ent/entc.go rewrites entgql's pagination template to call it, so
// every connection, top-level or nested, pages through the same code.
package keyset

import (
	"slices"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/ent/migrate"
	"github.com/qualify/qualify/internal/domainerr"
)

// Term is toTerm(direction) with the NULLS placement of the convention spelled out: PostgreSQL
// sorts NULL above every value by default, SQLite below. Columns that are NOT NULL in every table
// get no NULLS clause, so their indexes still serve the ORDER BY.
func Term[O ~func(*sql.Selector)](column string, toTerm func(...sql.OrderTermOption) O, d entgql.OrderDirection) O {
	opts := []sql.OrderTermOption{d.OrderTermOption()}
	if Nullable(column) {
		if d == entgql.OrderDirectionDesc {
			opts = append(opts, sql.OrderNullsLast())
		} else {
			opts = append(opts, sql.OrderNullsFirst())
		}
	}
	return toTerm(opts...)
}

// WriteTerm writes "column DIRECTION [NULLS …]" for the window ordering of nested pages.
func WriteTerm(b *sql.Builder, column string, d entgql.OrderDirection) {
	b.Ident(column).Pad().WriteString(string(d))
	if Nullable(column) {
		if d == entgql.OrderDirectionDesc {
			b.WriteString(" NULLS LAST")
		} else {
			b.WriteString(" NULLS FIRST")
		}
	}
}

// MultiCursorsPredicate is entgql.MultiCursorsPredicate with NULL as a value: a cursor sitting on a
// null continues into the rows after it instead of comparing NULL and matching nothing. The
// generated pager hands in its query's directions, reversed when it pages from the end (the id's
// direction says which); "after" takes the rows past the cursor in the order the client asked
// for, "before" those past it in the opposite one, whichever of first and last goes with them.
func MultiCursorsPredicate[T any](after, before *entgql.Cursor[T], opts *entgql.MultiCursorsOptions) ([]func(*sql.Selector), error) {
	asked := directions(opts.Directions, opts.DirectionID == entgql.OrderDirectionDesc)
	var preds []func(*sql.Selector)
	for i, c := range []*entgql.Cursor[T]{after, before} {
		if c == nil {
			continue
		}
		back := i == 1
		idDir := directions([]entgql.OrderDirection{entgql.OrderDirectionAsc}, back)
		if c.Value == nil {
			preds = append(preds, rowsBeyond([]string{opts.FieldID}, idDir, []any{c.ID}))
			continue
		}
		values, ok := c.Value.([]any)
		if !ok || len(values) != len(opts.Fields) || len(opts.Directions) != len(opts.Fields) {
			return nil, domainerr.Validation(cursorArg(i), "the cursor was made for another orderBy")
		}
		fields, values, dirs := slices.Clone(opts.Fields), slices.Clone(values), directions(asked, back)
		if !slices.Contains(fields, opts.FieldID) {
			fields, values, dirs = append(fields, opts.FieldID), append(values, c.ID), append(dirs, idDir...)
		}
		preds = append(preds, rowsBeyond(fields, dirs, values))
	}
	return preds, nil
}

// CursorsPredicate is entgql.CursorsPredicate (one order field) with NULL as a value; d is the
// direction the client asked for. A cursor on a null carries no value (msgpack omits it), which
// for a field other than the id means NULL.
func CursorsPredicate[T any](after, before *entgql.Cursor[T], idField, field string, d entgql.OrderDirection) []func(*sql.Selector) {
	var preds []func(*sql.Selector)
	for i, c := range []*entgql.Cursor[T]{after, before} {
		if c == nil {
			continue
		}
		// With one order field the id breaks ties in the same direction.
		dirs := directions([]entgql.OrderDirection{d, d}, i == 1)
		if field == idField {
			preds = append(preds, rowsBeyond([]string{idField}, dirs[:1], []any{c.ID}))
			continue
		}
		preds = append(preds, rowsBeyond([]string{field, idField}, dirs, []any{c.Value, c.ID}))
	}
	return preds
}

func cursorArg(i int) string {
	if i == 0 {
		return "after"
	}
	return "before"
}

// directions returns ds, reversed when reverse is set.
func directions(ds []entgql.OrderDirection, reverse bool) []entgql.OrderDirection {
	out := make([]entgql.OrderDirection, len(ds))
	for i, d := range ds {
		if reverse {
			d = d.Reverse()
		}
		out[i] = d
	}
	return out
}

// rowsBeyond selects the rows strictly after the key values in the given order:
// (f1 beyond v1) OR (f1 = v1 AND f2 beyond v2) OR …, where NULL equals NULL and lies below every
// value. It is built when the statement is, because an edge order term (ACCOUNT_NAME) adds the
// joined column it sorts by only then.
func rowsBeyond(fields []string, dirs []entgql.OrderDirection, values []any) func(*sql.Selector) {
	return func(s *sql.Selector) {
		s.Where(sql.P(func(b *sql.Builder) {
			cols := make([]string, len(fields))
			for i, f := range fields {
				cols[i] = s.C(f)
				if m := s.FindSelection(f); len(m) == 1 {
					cols[i] = m[0]
				}
			}
			var or []*sql.Predicate
			for i := range fields {
				p := beyond(cols[i], fields[i], dirs[i], values[i])
				if p == nil {
					continue
				}
				ands := make([]*sql.Predicate, 0, i+1)
				for j := 0; j < i; j++ {
					ands = append(ands, equal(cols[j], values[j]))
				}
				or = append(or, sql.And(append(ands, p)...))
			}
			if len(or) == 0 {
				b.Join(sql.False())
				return
			}
			// In parentheses: ent joins this predicate with the query's others (the parent's key
			// of a nested page, the row filter, where) by AND without them.
			b.Wrap(func(b *sql.Builder) { b.Join(sql.Or(or...)) })
		}))
	}
}

func equal(col string, v any) *sql.Predicate {
	if v == nil {
		return sql.IsNull(col)
	}
	return sql.EQ(col, v)
}

// beyond is "col comes strictly after v"; nil when nothing can (DESC after a null).
func beyond(col, field string, d entgql.OrderDirection, v any) *sql.Predicate {
	switch {
	case v == nil && d == entgql.OrderDirectionDesc:
		return nil
	case v == nil:
		return sql.NotNull(col)
	case d == entgql.OrderDirectionAsc:
		return sql.GT(col, v)
	case Nullable(field):
		return sql.Or(sql.LT(col, v), sql.IsNull(col))
	default:
		return sql.LT(col, v)
	}
}

// AppendColumn adds column to the fields a query selects, so the cursor can carry its value,
// unless no table has it: a computed order term (the search rank) selects its value itself.
func AppendColumn(q *ent.QueryContext, column string) {
	if _, stored := nonNull[column]; stored {
		q.AppendFieldOnce(column)
	}
}

// nonNull are the column names that are NOT NULL in every table that has them, read once from the
// migration schema.
var nonNull = func() map[string]bool {
	nn := map[string]bool{}
	for _, t := range migrate.Tables {
		for _, c := range t.Columns {
			if v, seen := nn[c.Name]; !seen || v {
				nn[c.Name] = !c.Nullable
			}
		}
	}
	return nn
}()

// Nullable reports whether column may hold NULL: true for names not NOT NULL in every table, and
// for those of no table, such as the aliases of edge order terms.
func Nullable(column string) bool { return !nonNull[column] }
