package funnel

import (
	"context"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/hook"
	"github.com/qualify/qualify/ent/lead"
)

// LeadHook keeps a lead's rollup rows in step when its owner, account or source changes outside
// a transition (reassignment, edits), in the mutation's transaction (once, before it commits). Register it with
// client.Lead.Use. UserHook and AccountHook cover the same changes made from the other side.
func (r *Rollups) LeadHook() ent.Hook {
	return hook.On(func(next ent.Mutator) ent.Mutator {
		return hook.LeadFunc(func(ctx context.Context, m *ent.LeadMutation) (ent.Value, error) {
			_, owner := m.OwnerID()
			_, account := m.AccountID()
			_, source := m.Source()
			if !owner && !account && !source && !m.OwnerIDCleared() && !m.AccountIDCleared() {
				return next.Mutate(ctx, m)
			}
			ids, err := m.IDs(ctx)
			if err != nil {
				return nil, err
			}
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return nil, err
			}
			for _, id := range ids {
				if err := r.touch(ctx, m.Client(), id); err != nil {
					return nil, err
				}
			}
			return v, nil
		})
	}, ent.OpUpdate|ent.OpUpdateOne)
}

// UserHook keeps the rollup rows of a user's leads in step when the user changes team (the
// funnel groups by the owner's team) or gains or loses leads from the user's side
// (updateUser's addOwnedLeadIDs, removeOwnedLeadIDs, clearOwnedLeads). Register it with
// client.User.Use.
func (r *Rollups) UserHook() ent.Hook {
	return hook.On(func(next ent.Mutator) ent.Mutator {
		return hook.UserFunc(func(ctx context.Context, m *ent.UserMutation) (ent.Value, error) {
			_, team := m.Team()
			return r.touchAround(ctx, m.Client(), next, m, touchSet{
				owned:   team || m.OwnedLeadsCleared(),
				edges:   append(m.OwnedLeadsIDs(), m.RemovedOwnedLeadsIDs()...),
				ids:     m.IDs,
				ownedBy: func(ids []int) *ent.LeadQuery { return m.Client().Lead.Query().Where(lead.OwnerIDIn(ids...)) },
			})
		})
	}, ent.OpUpdate|ent.OpUpdateOne)
}

// AccountHook keeps the rollup rows of an account's leads in step when the account's industry
// or region changes (the funnel groups by both) or leads join or leave it from the account's
// side. Register it with client.Account.Use.
func (r *Rollups) AccountHook() ent.Hook {
	return hook.On(func(next ent.Mutator) ent.Mutator {
		return hook.AccountFunc(func(ctx context.Context, m *ent.AccountMutation) (ent.Value, error) {
			_, industry := m.Industry()
			_, region := m.Region()
			return r.touchAround(ctx, m.Client(), next, m, touchSet{
				owned:   industry || region || m.RegionCleared() || m.LeadsCleared(),
				edges:   append(m.LeadsIDs(), m.RemovedLeadsIDs()...),
				ids:     m.IDs,
				ownedBy: func(ids []int) *ent.LeadQuery { return m.Client().Lead.Query().Where(lead.AccountIDIn(ids...)) },
			})
		})
	}, ent.OpUpdate|ent.OpUpdateOne)
}

// touchSet says which leads a user or account mutation moves between funnel groups.
type touchSet struct {
	owned   bool                                 // all the leads the mutated rows hold before the change
	edges   []int                                // leads added or removed through the edge
	ids     func(context.Context) ([]int, error) // the mutated rows
	ownedBy func(ids []int) *ent.LeadQuery       // the leads the rows hold
}

// touchAround runs the mutation and has the rollup rows of the leads it moves rewritten at the
// end of its transaction. The held leads are read before the change, so a cleared edge still
// names the leads it released.
func (r *Rollups) touchAround(ctx context.Context, c *ent.Client, next ent.Mutator, m ent.Mutation, s touchSet) (ent.Value, error) {
	leads := s.edges
	if s.owned {
		ids, err := s.ids(ctx)
		if err != nil {
			return nil, err
		}
		held, err := s.ownedBy(ids).IDs(ctx)
		if err != nil {
			return nil, err
		}
		leads = append(leads, held...)
	}
	v, err := next.Mutate(ctx, m)
	if err != nil || len(leads) == 0 {
		return v, err
	}
	for _, id := range leads {
		if err := r.touch(ctx, c, id); err != nil {
			return nil, err
		}
	}
	return v, nil
}
