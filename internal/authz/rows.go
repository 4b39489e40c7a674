package authz

import (
	"context"
	"reflect"

	entgo "entgo.io/ent"
	"entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/decisionlog"
	"github.com/qualify/qualify/ent/funnellead"
	"github.com/qualify/qualify/ent/intercept"
	"github.com/qualify/qualify/ent/leadescalation"
	"github.com/qualify/qualify/ent/predicate"
	dlog "github.com/qualify/qualify/internal/decisionlog"
)

// keyOperations are the root fields through which API keys may be read; the policy decides who
// may run them. Through any other field (node, nodes, …) no key is visible.
var keyOperations = map[string]bool{"apiKeys": true, "createApiKey": true, "revokeApiKey": true}

// simulationOperations are the root fields through which simulations may be read, as keys.
var simulationOperations = map[string]bool{"simulation": true, "startSimulation": true}

// Install's interceptors filter ent queries by the scope in their context, so every list, totalCount,
// node(id) and nested edge of the API holds only rows the caller may see:
//
//	Lead             by the row filter on its owner (own: owner is the caller; team: owner in
//	                 the caller's team, or no owner yet: the inbound pool that BDRs work until
//	                 routing assigns it at sal/sql; own_or_team: either)
//	Contact          linked to a visible lead, or at an account with one
//	Activity         on a visible lead; without a lead, on a visible contact
//	StageTransition  of a visible lead
//	DecisionLog      of a visible lead (decisions about no lead only unfiltered)
//	FunnelLead       of a visible lead (owner and team are copied onto the rollup)
//	LeadEscalation   of a visible lead, or flagging the caller (the owner's manager)
//	APIKey           only through the API-key operations
//	Simulation       only through the simulation operations
//
// Accounts, projects, users and stages are shared reference data and not filtered.
// Install registers them on client.
func Install(client *ent.Client) {
	client.Lead.Intercept(
		intercept.TraverseLead(func(ctx context.Context, q *ent.LeadQuery) error {
			if f, ok := rowFiltersOf(ctx); ok {
				q.Where(f.lead)
			}
			return nil
		}))
	client.Contact.Intercept(
		intercept.TraverseContact(func(ctx context.Context, q *ent.ContactQuery) error {
			if f, ok := rowFiltersOf(ctx); ok {
				q.Where(f.contact)
			}
			return nil
		}))
	client.Activity.Intercept(
		intercept.TraverseActivity(func(ctx context.Context, q *ent.ActivityQuery) error {
			if f, ok := rowFiltersOf(ctx); ok {
				q.Where(f.activity)
			}
			return nil
		}))
	client.StageTransition.Intercept(
		intercept.TraverseStageTransition(func(ctx context.Context, q *ent.StageTransitionQuery) error {
			if f, ok := rowFiltersOf(ctx); ok {
				if wholeSet(ctx, "StageTransition") {
					q.Where(f.transition)
				} else {
					q.Where(f.transitionRows)
				}
			}
			return nil
		}))
	client.DecisionLog.Intercept(
		intercept.TraverseDecisionLog(func(ctx context.Context, q *ent.DecisionLogQuery) error {
			if p, ok := leadPredicate(ctx); ok {
				q.Where(decisionlog.HasLeadWith(p))
			}
			return nil
		}),
		redactDecisions)
	client.FunnelLead.Intercept(
		intercept.TraverseFunnelLead(func(ctx context.Context, q *ent.FunnelLeadQuery) error {
			if s, ok := restriction(ctx); ok {
				q.Where(reachPredicate(s))
			}
			return nil
		}))
	client.LeadEscalation.Intercept(
		intercept.TraverseLeadEscalation(func(ctx context.Context, q *ent.LeadEscalationQuery) error {
			if p, ok := leadPredicate(ctx); ok {
				s, _ := ScopeFrom(ctx)
				q.Where(leadescalation.Or(leadescalation.HasLeadWith(p), leadescalation.FlaggedUserID(s.Principal.UserID)))
			}
			return nil
		}))
	client.APIKey.Intercept(
		intercept.TraverseAPIKey(func(ctx context.Context, q *ent.APIKeyQuery) error {
			s, ok := ScopeFrom(ctx)
			if ok && !s.Principal.IsSystem() && !keyOperations[s.Operation] {
				if visible, err := s.KeysVisible(ctx); err != nil || !visible {
					q.Where(func(sel *sql.Selector) { sel.Where(sql.False()) })
					return err
				}
			}
			return nil
		}))
	client.Simulation.Intercept(
		intercept.TraverseSimulation(func(ctx context.Context, q *ent.SimulationQuery) error {
			s, ok := ScopeFrom(ctx)
			if ok && !s.Principal.IsSystem() && !simulationOperations[s.Operation] {
				if visible, err := s.SimulationsVisible(ctx); err != nil || !visible {
					q.Where(func(sel *sql.Selector) { sel.Where(sql.False()) })
					return err
				}
			}
			return nil
		}))
}

// wholeSet reports whether the query of ctx, of type typ, reads the whole filtered set before it
// returns a row, so that it needs the set shape: a count, or the root field's own list sorted by
// orderBy or ranked by search (a sort over every visible row, where PostgreSQL would cost an
// EXISTS per row and compile it). A list in id order stops after a page, and a nested edge or
// the per-parent counts of a nested totalCount (a group by) read their parents' rows only: the
// row shape. Contacts and activities have one shape, their reach (visibility).
func wholeSet(ctx context.Context, typ string) bool {
	if qc := entgo.QueryFromContext(ctx); qc != nil && qc.Op == entgo.OpQueryCount {
		return true
	}
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !isRoot(fc) || fc.Field.Definition == nil || fc.Field.Definition.Type.Name() != typ+"Connection" {
		return false
	}
	return given(fc.Args["orderBy"]) || given(fc.Args["search"])
}

// given reports whether an argument holds a value: not nil, not an empty list or string.
func given(v any) bool {
	r := reflect.ValueOf(v)
	for r.IsValid() && (r.Kind() == reflect.Pointer || r.Kind() == reflect.Interface) {
		if r.IsNil() {
			return false
		}
		r = r.Elem()
	}
	switch r.Kind() {
	case reflect.Invalid:
		return false
	case reflect.Slice, reflect.String, reflect.Map:
		return r.Len() > 0
	}
	return true
}

// redactDecisions removes the fields the caller may not see (the scope's redactions) from the
// inputs and results of the decision logs a query returns, on every path that reads them.
var redactDecisions = ent.InterceptFunc(func(next ent.Querier) ent.Querier {
	return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
		v, err := next.Query(ctx, q)
		s, ok := ScopeFrom(ctx)
		if err != nil || !ok || len(s.Redact) == 0 {
			return v, err
		}
		if rows, ok := v.([]*ent.DecisionLog); ok {
			for _, d := range rows {
				d.Input, d.Result = dlog.Redact(d.Input, s.Redact), dlog.Redact(d.Result, s.Redact)
			}
		}
		return v, nil
	})
})

// LeadPredicate is the filter of the leads the caller of ctx may see, for code that builds its
// own queries (e.g. aggregate SQL); ok is false when nothing is filtered.
func LeadPredicate(ctx context.Context) (predicate.Lead, bool) { return leadPredicate(ctx) }

// restriction returns the scope that restricts rows in ctx, if any. A mutation's own resolver
// (the domain service it calls) is not restricted: the interceptor checked its target ids before
// it ran, and the service must see every row (routing counts, duplicate matching). The fields
// nested under its result are.
func restriction(ctx context.Context) (*Scope, bool) {
	s, ok := ScopeFrom(ctx)
	if !ok || s.Principal.IsSystem() || s.RowFilter == RowsAll {
		return nil, false
	}
	if s.Kind != "query" && s.Kind != "subscription" {
		if fc := graphql.GetFieldContext(ctx); fc != nil && isRoot(fc) {
			return nil, false
		}
	}
	return s, true
}

func leadPredicate(ctx context.Context) (predicate.Lead, bool) {
	f, ok := rowFiltersOf(ctx)
	return f.lead, ok
}

func rowFiltersOf(ctx context.Context) (rowFilters, bool) {
	s, ok := restriction(ctx)
	if !ok {
		return rowFilters{}, false
	}
	return filtersFor(s)
}

func reachPredicate(s *Scope) predicate.FunnelLead {
	p := s.Principal
	none := predicate.FunnelLead(func(sel *sql.Selector) { sel.Where(sql.False()) })
	own, team := none, none
	if p.UserID > 0 {
		own = funnellead.OwnerID(p.UserID)
	}
	if p.Team != "" {
		team = funnellead.Team(p.Team)
	}
	switch s.RowFilter {
	case RowsOwn:
		return own
	case RowsTeam:
		return funnellead.Or(team, funnellead.OwnerIDIsNil())
	case RowsOwnOrTeam:
		return funnellead.Or(own, team, funnellead.OwnerIDIsNil())
	default:
		return none
	}
}
