package graph

import (
	"entgo.io/contrib/entgql"

	"github.com/qualify/qualify/ent"
)

// A lead's stage history reads newest first, as every screen shows it; entgql's generated
// default is ascending ids. Set before any request runs, never changed after. The field stays
// the id: the generated pager breaks the ties of every order with the default field and pages
// by it, so a default on occurred_at (as this was) compared cursors' ids with times and repeated
// or lost rows. Transitions are append-only, written as they happen: newest id, newest entry.
func init() {
	ent.DefaultStageTransitionOrder = &ent.StageTransitionOrder{
		Direction: entgql.OrderDirectionDesc,
		Field:     ent.DefaultStageTransitionOrder.Field,
	}
}
