package authz

import (
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/predicate"
	"github.com/qualify/qualify/ent/stagetransition"
)

// visibility is a scope's row filter as SQL. Leads are filtered by their owner. Which leads a
// caller sees, it reads from the index leads(owner_id, id, account_id) alone, never from the wide
// lead rows (at 100k leads: 21k pages, more than the default shared buffers). Contacts and
// activities carry their reach, the owners of the leads that make them visible (0 for no
// owner), kept by the triggers of the migration "reach_counts_funnel_narrow": a contact or activity is
// visible when its reach meets the owners the caller sees, one test on its own row, the same
// for a count, a sorted page and a nested edge. Evaluated from the links instead, the set of
// visible contacts cost 0.5-1 s per request at 100k leads, and a per-row EXISTS crossed
// PostgreSQL's JIT thresholds over a whole table (2.6 s compiling).
type visibility struct {
	filter string
	userID int
	team   string
}

func visibilityOf(s *Scope) visibility {
	return visibility{filter: s.RowFilter, userID: s.Principal.UserID, team: s.Principal.Team}
}

// owners is whose leads the caller sees, the one rule behind the row filter of leads (leadWhere),
// of contacts and activities (reachWhere) and of the counters (VisibleLeadOwners): own (owner is
// the caller), team (owner in the caller's team, or no owner yet: the inbound pool), own_or_team
// (either), else none.
func (v visibility) owners() LeadOwners {
	var o LeadOwners
	if (v.filter == RowsOwn || v.filter == RowsOwnOrTeam) && v.userID > 0 {
		o.UserID = v.userID
	}
	if v.filter == RowsTeam || v.filter == RowsOwnOrTeam {
		o.Team, o.Pool = v.team, true
	}
	return o
}

// leadWhere is the condition on the leads of selector s: their owner is one the caller sees.
func (v visibility) leadWhere(s *sql.Selector) *sql.Predicate {
	o, owner := v.owners(), s.C(lead.FieldOwnerID)
	var or []*sql.Predicate
	if o.UserID > 0 {
		or = append(or, sql.EQ(owner, o.UserID))
	}
	if team := o.TeamMembers(s.Dialect()); team != nil {
		or = append(or, sql.In(owner, team))
	}
	if o.Pool {
		or = append(or, sql.IsNull(owner))
	}
	if len(or) == 0 {
		return sql.False()
	}
	return sql.Or(or...)
}

// leadIDs selects the ids of the visible leads.
func (v visibility) leadIDs(dialect string) *sql.Selector {
	t := sql.Table(lead.Table)
	sel := sql.Dialect(dialect).Select(t.C(lead.FieldID)).From(t)
	return sel.Where(v.leadWhere(sel))
}

// leadRowWhere: EXISTS a visible lead whose key is column (the row's lead_id), by the leads'
// primary key. Not fenced: a nested load (the transitions of a page of leads) is estimated at
// a few rows and runs per row; a root page is estimated at the whole table and may run the
// hashed alternative, the set shape.
func (v visibility) leadRowWhere(s *sql.Selector, column string) *sql.Predicate {
	l := sql.Table(lead.Table).As("vis_rl")
	sel := sql.Dialect(s.Dialect()).Select(l.C(lead.FieldID)).From(l)
	return sql.Exists(sel.Where(sql.And(sql.ColumnsEQ(l.C(lead.FieldID), s.C(column)), v.leadWhere(sel))))
}

// reachColumn is the column of contacts and activities that holds their reach: bigint[] on
// PostgreSQL, a JSON array on SQLite.
const reachColumn = "reach"

// reachWhere is the condition that the reach of the rows of selector s meets the owners the
// caller sees: the caller (own), the members of the caller's team and 0, the pool (team), or
// all of them (own_or_team). Team membership is read at query time. On PostgreSQL one array
// overlap against an array built once per statement; on SQLite a lookup in the JSON array.
func (v visibility) reachWhere(s *sql.Selector) *sql.Predicate {
	o := v.owners()
	var owners []any
	if o.UserID > 0 {
		owners = append(owners, o.UserID)
	}
	if o.Pool {
		owners = append(owners, 0)
	}
	team := o.TeamMembers(s.Dialect())
	if len(owners) == 0 && team == nil {
		return sql.False()
	}
	col := s.C(reachColumn)
	if s.Dialect() == dialect.Postgres {
		return sql.P(func(b *sql.Builder) {
			b.WriteString(col).WriteString(" && ARRAY(")
			for i, o := range owners {
				if i > 0 {
					b.WriteString(" UNION ALL ")
				}
				b.WriteString("SELECT CAST(").Arg(o).WriteString(" AS bigint)")
			}
			if team != nil {
				b.WriteString(" UNION ALL ").Join(team)
			}
			b.WriteString(")")
		})
	}
	return sql.P(func(b *sql.Builder) {
		b.WriteString("EXISTS (SELECT 1 FROM json_each(").WriteString(col).WriteString(") WHERE json_each.value IN (")
		b.Args(owners...).WriteString(")")
		if team != nil {
			b.WriteString(" OR json_each.value IN (").Join(team).WriteString(")")
		}
		b.WriteString(")")
	})
}

func (v visibility) lead() predicate.Lead {
	return func(s *sql.Selector) { s.Where(v.leadWhere(s)) }
}

// contact: a contact linked to a visible lead, or at an account with one (its reach).
func (v visibility) contact() predicate.Contact {
	return func(s *sql.Selector) { s.Where(v.reachWhere(s)) }
}

// activity: an activity of a lead goes with its lead, whatever contact it also names (a contact
// shared with a visible lead must not open a hidden lead's activities); one without a lead goes
// with its contact (its reach: its lead's owner, or its contact's reach).
func (v visibility) activity() predicate.Activity {
	return func(s *sql.Selector) { s.Where(v.reachWhere(s)) }
}

func (v visibility) transitionRows() predicate.StageTransition {
	return func(s *sql.Selector) { s.Where(v.leadRowWhere(s, stagetransition.FieldLeadID)) }
}

func (v visibility) transition() predicate.StageTransition {
	return func(s *sql.Selector) {
		s.Where(sql.In(s.C(stagetransition.FieldLeadID), v.leadIDs(s.Dialect())))
	}
}
