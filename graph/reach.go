package graph

import (
	"context"
	"reflect"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/graph/model"
	"github.com/qualify/qualify/internal/crm"
)

// decisionMakerCoverage answers Account.decisionMakerCoverage from the CRM's reach. The accounts
// of one list (a page of accounts, the accounts of a page of leads) are answered together, by
// the first of them to be resolved, so a page costs the same statements whatever its size.
func (r *Resolver) decisionMakerCoverage(ctx context.Context, obj *ent.Account) ([]*model.DecisionMakerReach, error) {
	rs, err := r.coverage.of(ctx, r.CRM, obj)
	if err != nil {
		return nil, err
	}
	out := make([]*model.DecisionMakerReach, len(rs))
	for i, x := range rs {
		m := &model.DecisionMakerReach{Contact: x.Contact, Reached: x.Last != nil, LastActivity: x.Last, ViaLead: x.Lead}
		if x.Last != nil {
			m.LastActivityAt = &x.Last.OccurredAt
		}
		out[i] = m
	}
	return out, nil
}

// coverageBatches shares the reach of the accounts of one list between their resolvers, which
// gqlgen runs concurrently. A batch is keyed by the list's field context, which the siblings
// share, and dropped when the request ends.
type coverageBatches struct {
	mu      sync.Mutex
	batches map[*graphql.FieldContext]*coverageBatch
}

type coverageBatch struct {
	once  sync.Once
	reach map[int][]crm.Reach
	err   error
}

func (b *coverageBatches) of(ctx context.Context, s *crm.Service, obj *ent.Account) ([]crm.Reach, error) {
	list, accounts := siblings(graphql.GetFieldContext(ctx), obj)
	if list == nil {
		return s.DecisionMakerReach(ctx, obj.ID)
	}
	b.mu.Lock()
	if b.batches == nil {
		b.batches = map[*graphql.FieldContext]*coverageBatch{}
	}
	batch, ok := b.batches[list]
	if !ok {
		batch = &coverageBatch{}
		b.batches[list] = batch
		context.AfterFunc(ctx, func() { b.mu.Lock(); delete(b.batches, list); b.mu.Unlock() })
	}
	b.mu.Unlock()
	batch.once.Do(func() { batch.reach, batch.err = s.DecisionMakerReachOf(ctx, accounts) })
	return batch.reach[obj.ID], batch.err
}

// siblings finds the nearest list above the field of fc (the coverage field of obj) and the
// accounts found at the same place in each of its elements: the edges of an accounts page
// (edge.node), the leads of a leads page (edge.node.account, when loaded with the page). It
// returns no list when there is none, or when obj is not among the accounts found.
func siblings(fc *graphql.FieldContext, obj *ent.Account) (*graphql.FieldContext, []int) {
	var path []string // field names from the list's elements down to the account
	for p := fc.Parent; p != nil; p = p.Parent {
		if p.Index != nil {
			continue // a list element: the list is its parent
		}
		v := reflect.ValueOf(p.Result)
		if v.Kind() == reflect.Slice {
			var ids []int
			found := false
			for i := range v.Len() {
				if a := follow(v.Index(i), path); a != nil {
					ids = append(ids, a.ID)
					found = found || a.ID == obj.ID
				}
			}
			if !found {
				return nil, nil
			}
			return p, ids
		}
		if p.Field.Field == nil {
			break
		}
		path = append([]string{p.Field.Name}, path...)
	}
	return nil, nil
}

// follow walks the GraphQL field names of path through v's struct fields (ent's loaded edges
// included) to an account; nil when one is missing.
func follow(v reflect.Value, path []string) *ent.Account {
	for _, name := range path {
		for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
			if v.IsNil() {
				return nil
			}
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return nil
		}
		match := func(n string) bool { return strings.EqualFold(n, name) }
		f := v.FieldByNameFunc(match)
		if !f.IsValid() {
			if edges := v.FieldByName("Edges"); edges.IsValid() && edges.Kind() == reflect.Struct {
				f = edges.FieldByNameFunc(match)
			}
		}
		if !f.IsValid() || !f.CanInterface() {
			return nil
		}
		v = f
	}
	if !v.CanInterface() {
		return nil
	}
	a, _ := v.Interface().(*ent.Account)
	return a
}
