package fulltext

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/account"
	"github.com/qualify/qualify/ent/contact"
	"github.com/qualify/qualify/ent/lead"
)

var (
	leadRank    = ent.NewLeadComputedOrderField(rankColumn, rankTerm[lead.OrderOption])
	contactRank = ent.NewContactComputedOrderField(rankColumn, rankTerm[contact.OrderOption])
	accountRank = ent.NewAccountComputedOrderField(rankColumn, rankTerm[account.OrderOption])
)

// The narrowing is a join in a predicate, so the connection's totalCount and every page see it,
// under the row filter the query's interceptors add. Without orderBy the order is the rank, best
// first; with one, search only filters.

// Leads narrows lq to the leads matching q and returns the order to page by.
func Leads(q *Query, lq *ent.LeadQuery, orderBy []*ent.LeadOrder) (*ent.LeadQuery, []*ent.LeadOrder) {
	if q == nil {
		return lq, orderBy
	}
	lq = lq.Where(func(s *sql.Selector) { q.join(s, leadDocs, true) })
	if len(orderBy) == 0 {
		orderBy = []*ent.LeadOrder{{Direction: entgql.OrderDirectionDesc, Field: leadRank}}
	}
	return lq, orderBy
}

// Contacts narrows cq to the contacts matching q and returns the order to page by.
func Contacts(q *Query, cq *ent.ContactQuery, orderBy []*ent.ContactOrder) (*ent.ContactQuery, []*ent.ContactOrder) {
	if q == nil {
		return cq, orderBy
	}
	cq = cq.Where(func(s *sql.Selector) { q.join(s, contactDocs, false) })
	if len(orderBy) == 0 {
		orderBy = []*ent.ContactOrder{{Direction: entgql.OrderDirectionDesc, Field: contactRank}}
	}
	return cq, orderBy
}

// Accounts narrows aq to the accounts matching q and returns the order to page by.
func Accounts(q *Query, aq *ent.AccountQuery, orderBy []*ent.AccountOrder) (*ent.AccountQuery, []*ent.AccountOrder) {
	if q == nil {
		return aq, orderBy
	}
	aq = aq.Where(func(s *sql.Selector) { q.join(s, accountDocs, false) })
	if len(orderBy) == 0 {
		orderBy = []*ent.AccountOrder{{Direction: entgql.OrderDirectionDesc, Field: accountRank}}
	}
	return aq, orderBy
}

func (q *Query) join(s *sql.Selector, e entity, related bool) {
	h := q.hits(s.Dialect(), e, related)
	s.Join(h).On(s.C("id"), h.C("id"))
}
