// Package leadcount answers the count of a lead query without a filter of its own (the root
// leads connection's totalCount without where or search) from the table lead_counts, which
// triggers keep exact per owner (migration "lead_counts"), instead of counting every visible lead.
package leadcount

import (
	"context"
	"fmt"

	entgo "entgo.io/ent"
	"entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/user"
	"github.com/qualify/qualify/internal/authz"
)

type unfilteredKey struct{}

// Unfiltered marks ctx for a lead query whose only predicates are the row filter of the caller
// (authz): its Count is read from the counters. Set it only around such a query (the
// resolver of leads without where or search): a count with any other predicate would be wrong.
func Unfiltered(ctx context.Context) context.Context {
	return context.WithValue(ctx, unfilteredKey{}, true)
}

// Install answers the counts of lead queries run with an Unfiltered context from the counters,
// summed over the owners whose leads the caller sees (authz.VisibleLeadOwners).
func Install(client *ent.Client, dialect string) {
	client.Lead.Intercept(ent.InterceptFunc(func(next ent.Querier) ent.Querier {
		return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
			qc := entgo.QueryFromContext(ctx)
			if qc == nil || qc.Op != entgo.OpQueryCount || ctx.Value(unfilteredKey{}) == nil {
				return next.Query(ctx, q)
			}
			return Count(ctx, client, dialect, authz.VisibleLeadOwners(ctx))
		})
	}))
}

// Count is the number of leads of the owners o: a sum over a few counter rows per owner, the
// team's owners read from users at the time of the query.
func Count(ctx context.Context, client *ent.Client, dialect string, o authz.LeadOwners) (int, error) {
	sel := sql.Dialect(dialect).Select("CAST(coalesce(sum(n), 0) AS BIGINT)").From(sql.Table("lead_counts"))
	if !o.All {
		var or []*sql.Predicate
		if o.UserID > 0 {
			or = append(or, sql.EQ("owner_key", o.UserID))
		}
		if o.Team != "" {
			or = append(or, sql.In("owner_key", sql.Dialect(dialect).Select(user.FieldID).
				From(sql.Table(user.Table)).Where(sql.EQ(user.FieldTeam, o.Team))))
		}
		if o.Pool {
			or = append(or, sql.EQ("owner_key", 0))
		}
		if len(or) == 0 {
			return 0, nil
		}
		sel.Where(sql.Or(or...))
	}
	query, args := sel.Query()
	rows, err := client.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("lead counts: %w", err)
	}
	defer rows.Close()
	var n int64
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, fmt.Errorf("lead counts: %w", err)
		}
	}
	return int(n), rows.Err()
}
