package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// FunnelExit lists the exits of each lead: one row per lead, exit stage, reason code and the
// stage it left from. Derived from StageTransition by internal/funnel like FunnelLead.
type FunnelExit struct {
	ent.Schema
}

func (FunnelExit) Fields() []ent.Field {
	return []ent.Field{
		field.Int("lead_id"),
		field.Int("stage_id"),
		field.String("reason_code").Default(""),
		field.Int("from_stage_id").Default(0).Comment("the stage the lead left for the exit; 0 for none"),
		field.Bool("counted").Default(true).Comment("the lead's first row of this stage and reason (by stage left): counting these counts leads"),
	}
}

func (FunnelExit) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("lead_id", "stage_id", "reason_code", "from_stage_id").Unique(),
	}
}

func (FunnelExit) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
