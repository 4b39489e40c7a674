package authz

import (
	"context"

	"entgo.io/ent/dialect/sql"
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
	v := visibilityOf(s)
	var o LeadOwners
	if (v.filter == RowsOwn || v.filter == RowsOwnOrTeam) && v.userID > 0 {
		o.UserID = v.userID
	}
	if v.filter == RowsTeam || v.filter == RowsOwnOrTeam {
		o.Team, o.Pool = v.team, true
	}
	return o
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
