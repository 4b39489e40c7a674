// Package contactcount answers the count of a contact query without a filter of its own (the
// root contacts connection's totalCount without where or search) from the table
// contact_reach_counts, which triggers keep exact per reach signature (migration
// "contact_reach_counts"), instead of testing the reach of every contact.
package contactcount

import (
	"context"
	"fmt"

	entgo "entgo.io/ent"
	"entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/authz"
)

type unfilteredKey struct{}

// Unfiltered marks ctx for a contact query whose only predicates are the row filter of the
// caller (authz): its Count is read from the counters. Set it only around such a query (the
// resolver of contacts without where or search): a count with any other predicate would be wrong.
func Unfiltered(ctx context.Context) context.Context {
	return context.WithValue(ctx, unfilteredKey{}, true)
}

// Install answers the counts of contact queries run with an Unfiltered context from the
// counters, summed over the signatures whose reach meets the owners the caller sees.
func Install(client *ent.Client, dialect string) {
	client.Contact.Intercept(ent.InterceptFunc(func(next ent.Querier) ent.Querier {
		return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
			qc := entgo.QueryFromContext(ctx)
			if qc == nil || qc.Op != entgo.OpQueryCount || ctx.Value(unfilteredKey{}) == nil {
				return next.Query(ctx, q)
			}
			return Count(ctx, client, dialect)
		})
	}))
}

// Count is the number of contacts the caller of ctx sees: a sum over the signature rows whose
// reach meets the caller's owners (all rows when unrestricted; a few thousand at 100k leads,
// against 126k contacts).
func Count(ctx context.Context, client *ent.Client, dialect string) (int, error) {
	sel := sql.Dialect(dialect).Select("CAST(coalesce(sum(n), 0) AS BIGINT)").From(sql.Table("contact_reach_counts"))
	if reach, ok := authz.VisibleReach(ctx); ok {
		sel.Where(reach(sel))
	}
	query, args := sel.Query()
	rows, err := client.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("contact counts: %w", err)
	}
	defer rows.Close()
	var n int64
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, fmt.Errorf("contact counts: %w", err)
		}
	}
	return int(n), rows.Err()
}
