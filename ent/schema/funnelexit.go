package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// FunnelExit is the per-lead ledger of exits: one row per lead, exit stage and reason code it
// entered that stage with. With FunnelReach it is what a lead currently contributes to the
// FunnelCount aggregate, so a lead's old contribution can be subtracted when its history
// changes. Derived from StageTransition by internal/funnel like FunnelReach.
type FunnelExit struct {
	ent.Schema
}

func (FunnelExit) Fields() []ent.Field {
	return []ent.Field{
		field.Int("lead_id"),
		field.Int("stage_id"),
		field.String("reason_code").Default(""),
	}
}

func (FunnelExit) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("lead_id", "stage_id", "reason_code").Unique(),
	}
}

func (FunnelExit) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
