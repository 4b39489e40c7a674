package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// FunnelReach is the funnel rollup: one row per lead and stage it reached (a funnel stage it
// entered or passed through by skipping, or an exit stage it entered), with the lead's
// dimensions and its closed stays in the stage. It is derived from StageTransition, rewritten
// for a lead in the transaction of each of its transitions, and rebuilt by `qualify funnel
// rebuild`; internal/funnel owns it.
type FunnelReach struct {
	ent.Schema
}

func (FunnelReach) Fields() []ent.Field {
	return []ent.Field{
		field.Int("lead_id"),
		field.Int("stage_id"),
		field.Time("lead_created_at").Comment("cohort CREATED"),
		field.String("cohort_month").Comment("YYYY-MM of lead_created_at, UTC"),
		field.Time("reached_at").Comment("first time the lead entered this stage or a later funnel stage"),
		field.Bool("entered").Comment("false when the lead skipped the stage"),
		field.String("source"),
		field.Int("owner_id").Optional().Nillable(),
		field.String("team").Default(""),
		field.String("industry").Default(""),
		field.String("region").Default(""),
		field.Int("stays").Default(0).Comment("closed stays in the stage"),
		field.Float("latest_stay_days").Optional().Nillable(),
		field.Float("total_stay_days").Optional().Nillable(),
	}
}

func (FunnelReach) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("lead_id", "stage_id").Unique(),
		index.Fields("stage_id", "lead_created_at"),
		index.Fields("stage_id", "reached_at"),
	}
}

func (FunnelReach) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
