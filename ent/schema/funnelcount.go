package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// FunnelCount is the pre-aggregated funnel: how many leads of a cohort day reached a stage (or
// left to an exit stage with a reason code), for all leads (dim "") or per value of ONE
// dimension. Keying one dimension at a time keeps it small enough that a funnel grouped by a
// dimension reads tens of thousands of rows. Kept in step with FunnelReach and FunnelExit by
// internal/funnel in the transaction of each transition; rows may hold n = 0.
type FunnelCount struct {
	ent.Schema
}

func (FunnelCount) Fields() []ent.Field {
	return []ent.Field{
		field.Int("cohort_stage").Comment("0: cohort CREATED; else the funnel stage of ENTERED_FIRST_STAGE"),
		field.String("cohort_day").Comment("YYYY-MM-DD (UTC) the lead was created or reached cohort_stage"),
		field.Int("stage_id"),
		field.String("reason_code").Default("").Comment("exit stages only: the reason; '' for reached"),
		field.String("dim").Default("").Comment("'' for all leads, else a funnel.Dimension"),
		field.String("dim_value").Default(""),
		field.Int("n"),
	}
}

func (FunnelCount) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("cohort_stage", "dim", "cohort_day", "stage_id", "reason_code", "dim_value").Unique().StorageKey("funnelcount_key"),
	}
}

func (FunnelCount) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
