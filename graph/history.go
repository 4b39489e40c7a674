package graph

import (
	"entgo.io/contrib/entgql"

	"github.com/qualify/qualify/ent"
)

// A lead's stage history reads newest first, as every screen shows it; entgql's generated
// default is ascending ids. Set before any request runs, never changed after.
func init() {
	ent.DefaultStageTransitionOrder = &ent.StageTransitionOrder{
		Direction: entgql.OrderDirectionDesc,
		Field:     ent.StageTransitionOrderFieldOccurredAt,
	}
}
