package authz

import (
	"context"

	"entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/ent/user"
)

// LeadOwners says whose leads the caller of a context sees, as the row filter on leads has it:
// every lead (All), or those owned by UserID (when non-zero), by the users of Team (when not
// empty), and those with no owner yet (Pool). Nothing set: no lead. Counters kept per owner
// (internal/totalcount) sum over it instead of filtering lead rows.
type LeadOwners struct {
	All    bool
	UserID int
	Team   string
	Pool   bool
}

// VisibleLeadOwners returns the owners of the leads the caller of ctx may see: the same
// restriction and visibility as the row filter the Lead interceptor adds (leadWhere).
func VisibleLeadOwners(ctx context.Context) LeadOwners {
	s, ok := restriction(ctx)
	if !ok {
		return LeadOwners{All: true}
	}
	return visibilityOf(s).owners()
}

// TeamMembers selects the ids of the users of o's team, read at the time of the query; nil when
// o names no team.
func (o LeadOwners) TeamMembers(dialect string) *sql.Selector {
	if o.Team == "" {
		return nil
	}
	return sql.Dialect(dialect).Select(user.FieldID).From(sql.Table(user.Table)).Where(sql.EQ(user.FieldTeam, o.Team))
}

// VisibleReach returns the condition that the reach column of a selector's rows meets the owners
// whose leads the caller of ctx sees: the row filter on contacts and activities (reachWhere), for
// a table keyed by reach such as the counters of internal/totalcount. Not ok: unrestricted.
func VisibleReach(ctx context.Context) (func(*sql.Selector) *sql.Predicate, bool) {
	s, ok := restriction(ctx)
	if !ok {
		return nil, false
	}
	return visibilityOf(s).reachWhere, true
}
