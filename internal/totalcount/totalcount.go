// Package totalcount answers the totalCount of a root connection without a filter of its own
// (no where, no search) from counters that triggers keep exact, instead of counting every row
// the caller sees: leads per owner (table lead_counts) and contacts per reach signature (table
// contact_reach_counts), both in the migration "reach_counts_funnel_narrow". The row filter's
// own rules (internal/authz) say which counters a caller sums.
package totalcount

import (
	"context"
	"fmt"

	entgo "entgo.io/ent"
	"entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/authz"
)

type unfilteredKey struct{}

// Unfiltered marks ctx for a query of the type typ (ent.TypeLead, ent.TypeContact) whose only
// predicates are the row filter of the caller: its Count is read from the counters. Set it only
// around such a query (the root resolver without where or search): a count with any other
// predicate would be wrong. A query of another type under the same context counts its rows.
func Unfiltered(ctx context.Context, typ string) context.Context {
	return context.WithValue(ctx, unfilteredKey{}, typ)
}

// counters are the types with counters, and how their count is summed.
var counters = map[string]func(context.Context, *ent.Client, string) (int, error){
	ent.TypeLead:    leads,
	ent.TypeContact: contacts,
}

// Install answers the counts of queries run with an Unfiltered context of their type from the
// counters.
func Install(client *ent.Client, dialect string) {
	client.Intercept(ent.InterceptFunc(func(next ent.Querier) ent.Querier {
		return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
			qc := entgo.QueryFromContext(ctx)
			typ, _ := ctx.Value(unfilteredKey{}).(string)
			count, ok := counters[typ]
			if qc == nil || qc.Op != entgo.OpQueryCount || !ok || qc.Type != typ {
				return next.Query(ctx, q)
			}
			return count(ctx, client, dialect)
		})
	}))
}

// leads is the number of leads the caller of ctx sees: a sum over a few counter rows per owner
// it sees (authz.VisibleLeadOwners), the team's owners read from users at the time of the query.
func leads(ctx context.Context, client *ent.Client, dialect string) (int, error) {
	o := authz.VisibleLeadOwners(ctx)
	sel := sql.Dialect(dialect).Select("CAST(coalesce(sum(n), 0) AS BIGINT)").From(sql.Table("lead_counts"))
	if !o.All {
		var or []*sql.Predicate
		if o.UserID > 0 {
			or = append(or, sql.EQ("owner_key", o.UserID))
		}
		if team := o.TeamMembers(dialect); team != nil {
			or = append(or, sql.In("owner_key", team))
		}
		if o.Pool {
			or = append(or, sql.EQ("owner_key", 0))
		}
		if len(or) == 0 {
			return 0, nil
		}
		sel.Where(sql.Or(or...))
	}
	return sum(ctx, client, sel, "lead counts")
}

// contacts is the number of contacts the caller of ctx sees: a sum over the signature rows whose
// reach meets the caller's owners (all rows when unrestricted; a few thousand at 100k leads,
// against 126k contacts).
func contacts(ctx context.Context, client *ent.Client, dialect string) (int, error) {
	sel := sql.Dialect(dialect).Select("CAST(coalesce(sum(n), 0) AS BIGINT)").From(sql.Table("contact_reach_counts"))
	if reach, ok := authz.VisibleReach(ctx); ok {
		sel.Where(reach(sel))
	}
	return sum(ctx, client, sel, "contact counts")
}

func sum(ctx context.Context, client *ent.Client, sel *sql.Selector, what string) (int, error) {
	query, args := sel.Query()
	rows, err := client.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var n int64
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, fmt.Errorf("%s: %w", what, err)
		}
	}
	return int(n), rows.Err()
}
