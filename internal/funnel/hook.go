package funnel

import (
	"context"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/hook"
)

// LeadHook keeps a lead's rollup rows in step when its owner or account changes outside a
// transition (reassignment, edits), in the mutation's transaction (once, before it commits). Register it with
// client.Lead.Use. Changes to a user's team or an account's industry or region reach the
// rollup with the lead's next transition or the next rebuild.
func (r *Rollups) LeadHook() ent.Hook {
	return hook.On(func(next ent.Mutator) ent.Mutator {
		return hook.LeadFunc(func(ctx context.Context, m *ent.LeadMutation) (ent.Value, error) {
			_, owner := m.OwnerID()
			_, account := m.AccountID()
			if !owner && !account && !m.OwnerIDCleared() && !m.AccountIDCleared() {
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
