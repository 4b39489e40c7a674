package authz

import (
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/ent/activity"
	"github.com/qualify/qualify/ent/contact"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/predicate"
	"github.com/qualify/qualify/ent/stagetransition"
	"github.com/qualify/qualify/ent/user"
)

// visibility is a scope's row filter as SQL, in two shapes. The set shape is a non-correlated IN
// over a subquery, which the database runs once (PostgreSQL: a hashed subplan): right for
// counts and scans over a whole table, and costed as what it is. Which leads a caller sees, and
// their accounts, it reads from the index leads(owner_id, id, account_id) alone, never from the
// wide lead rows (at 100k leads: 21k pages, more than the default shared buffers). The row shape
// is a correlated EXISTS per row through an index: right for a page or the rows of a page of
// leads, where the set shape built the whole visible set (every contact linked to 72k visible
// leads) to keep a few rows. PostgreSQL costs an EXISTS under OR as if it ran once per row
// even when it runs hashed, so over a whole table the row shape's estimate crosses the JIT
// thresholds (4.6M for 126k contacts: 2.6 s compiling); counts and where inputs, which nest it
// in other subqueries, keep the set shape.
type visibility struct {
	filter string
	userID int
	team   string
}

func visibilityOf(s *Scope) visibility {
	return visibility{filter: s.RowFilter, userID: s.Principal.UserID, team: s.Principal.Team}
}

// leadWhere is the condition on the leads of selector s: own (owner is the caller), team (owner
// in the caller's team, or no owner yet: the inbound pool), own_or_team (either), else nothing.
func (v visibility) leadWhere(s *sql.Selector) *sql.Predicate {
	owner := s.C(lead.FieldOwnerID)
	var or []*sql.Predicate
	if (v.filter == RowsOwn || v.filter == RowsOwnOrTeam) && v.userID > 0 {
		or = append(or, sql.EQ(owner, v.userID))
	}
	if v.filter == RowsTeam || v.filter == RowsOwnOrTeam {
		if v.team != "" {
			team := sql.Dialect(s.Dialect()).Select(user.FieldID).From(sql.Table(user.Table)).
				Where(sql.EQ(user.FieldTeam, v.team))
			or = append(or, sql.In(owner, team))
		}
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

// contactRowWhere is contactWhere in the row shape: EXISTS a visible lead linked to the contact
// (lead_contacts by contact_id, then the lead by its key), or EXISTS a visible lead at its
// account (leads by account_id). Each EXISTS is fenced (perRow): a contact page's scan is
// estimated at the whole table, and PostgreSQL would pick the hashed alternative of each
// EXISTS for it, building the visible set (0.5 s) to return 20 rows.
func (v visibility) contactRowWhere(s *sql.Selector) *sql.Predicate {
	d := s.Dialect()
	lc, l := sql.Table(contact.LeadsTable).As("vis_lc"), sql.Table(lead.Table).As("vis_l")
	linked := sql.Dialect(d).Select(l.C(lead.FieldID)).From(l).
		Join(lc).On(lc.C(contact.LeadsPrimaryKey[0]), l.C(lead.FieldID))
	linked.Where(sql.And(sql.ColumnsEQ(lc.C(contact.LeadsPrimaryKey[1]), s.C(contact.FieldID)), v.leadWhere(linked)))
	la := sql.Table(lead.Table).As("vis_la")
	atAccount := sql.Dialect(d).Select(la.C(lead.FieldID)).From(la)
	atAccount.Where(sql.And(sql.ColumnsEQ(la.C(lead.FieldAccountID), s.C(contact.FieldAccountID)), v.leadWhere(atAccount)))
	return sql.Or(sql.Exists(perRow(linked)), sql.Exists(perRow(atAccount)))
}

// perRow keeps PostgreSQL from replacing a correlated EXISTS by its hashed alternative: an
// EXISTS whose subquery has an OFFSET is not turned into an IN (SQLite plans it per row anyway,
// and wants no OFFSET without a LIMIT).
func perRow(sel *sql.Selector) *sql.Selector {
	if sel.Dialect() == dialect.Postgres {
		sel.Offset(0)
	}
	return sel
}

// leadRowWhere: EXISTS a visible lead whose key is column (the row's lead_id), by the leads'
// primary key. Not fenced: a nested load (the activities or transitions of a page of leads) is
// estimated at a few rows and runs per row; a root page is estimated at the whole table and may
// run the hashed alternative, the set shape.
func (v visibility) leadRowWhere(s *sql.Selector, column string) *sql.Predicate {
	l := sql.Table(lead.Table).As("vis_rl")
	sel := sql.Dialect(s.Dialect()).Select(l.C(lead.FieldID)).From(l)
	return sql.Exists(sel.Where(sql.And(sql.ColumnsEQ(l.C(lead.FieldID), s.C(column)), v.leadWhere(sel))))
}

// activityRowWhere is activityWhere in the row shape: its lead visible, or without a lead, its
// contact visible (contactRowWhere on the contact's row).
func (v visibility) activityRowWhere(s *sql.Selector) *sql.Predicate {
	c := sql.Table(contact.Table).As("vis_ac")
	viaContact := sql.Dialect(s.Dialect()).Select(c.C(contact.FieldID)).From(c)
	viaContact.Where(sql.And(sql.ColumnsEQ(c.C(contact.FieldID), s.C(activity.FieldContactID)), v.contactRowWhere(viaContact)))
	return sql.Or(v.leadRowWhere(s, activity.FieldLeadID),
		sql.And(sql.IsNull(s.C(activity.FieldLeadID)), sql.Exists(viaContact)))
}

// contactWhere: a contact linked to a visible lead, or at an account with one.
func (v visibility) contactWhere(s *sql.Selector) *sql.Predicate {
	d := s.Dialect()
	linked := sql.Dialect(d).Select(contact.LeadsPrimaryKey[1]).From(sql.Table(contact.LeadsTable)).
		Where(sql.In(contact.LeadsPrimaryKey[0], v.leadIDs(d)))
	t := sql.Table(lead.Table)
	accounts := sql.Dialect(d).Select(t.C(lead.FieldAccountID)).From(t)
	accounts.Where(sql.And(sql.NotNull(accounts.C(lead.FieldAccountID)), v.leadWhere(accounts)))
	return sql.Or(sql.In(s.C(contact.FieldID), linked), sql.In(s.C(contact.FieldAccountID), accounts))
}

// activityWhere: an activity of a lead goes with its lead, whatever contact it also names (a
// contact shared with a visible lead must not open a hidden lead's activities); one without a
// lead goes with its contact.
func (v visibility) activityWhere(s *sql.Selector) *sql.Predicate {
	d := s.Dialect()
	t := sql.Table(contact.Table)
	contacts := sql.Dialect(d).Select(t.C(contact.FieldID)).From(t)
	contacts.Where(v.contactWhere(contacts))
	return sql.Or(sql.In(s.C(activity.FieldLeadID), v.leadIDs(d)),
		sql.And(sql.IsNull(s.C(activity.FieldLeadID)), sql.In(s.C(activity.FieldContactID), contacts)))
}

func (v visibility) lead() predicate.Lead {
	return func(s *sql.Selector) { s.Where(v.leadWhere(s)) }
}

func (v visibility) contact() predicate.Contact {
	return func(s *sql.Selector) { s.Where(v.contactWhere(s)) }
}

func (v visibility) contactRows() predicate.Contact {
	return func(s *sql.Selector) { s.Where(v.contactRowWhere(s)) }
}

func (v visibility) activity() predicate.Activity {
	return func(s *sql.Selector) { s.Where(v.activityWhere(s)) }
}

func (v visibility) activityRows() predicate.Activity {
	return func(s *sql.Selector) { s.Where(v.activityRowWhere(s)) }
}

func (v visibility) transitionRows() predicate.StageTransition {
	return func(s *sql.Selector) { s.Where(v.leadRowWhere(s, stagetransition.FieldLeadID)) }
}

func (v visibility) transition() predicate.StageTransition {
	return func(s *sql.Selector) {
		s.Where(sql.In(s.C(stagetransition.FieldLeadID), v.leadIDs(s.Dialect())))
	}
}
