package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// FunnelSketch holds duration histograms with log-spaced buckets (internal/funnel documents
// the bucket scheme and its relative error) per cohort month, quarter and year (a long period
// reads few rows), for all leads or per value of one
// dimension: latest and cumulative stays per stage, and the days between reaching two funnel
// stages. Percentiles are read from cumulative bucket counts; means from n and value_sum, exactly.
// Kept in step with FunnelReach by internal/funnel; rows may hold n = 0.
type FunnelSketch struct {
	ent.Schema
}

func (FunnelSketch) Fields() []ent.Field {
	return []ent.Field{
		field.Int("cohort_stage").Comment("0: cohort CREATED; else the funnel stage of ENTERED_FIRST_STAGE"),
		field.String("cohort_month").Comment("YYYY-MM (UTC) the lead was created or reached cohort_stage, and again as YYYY-Qn and YYYY"),
		field.Int("metric").Comment("0 latest stay, 1 cumulative stay in stage_id; 2 days from stage_id to to_stage_id"),
		field.Int("stage_id"),
		field.Int("to_stage_id").Default(0),
		field.String("dim").Default("").Comment("'' for all leads, else a funnel.Dimension"),
		field.String("dim_value").Default(""),
		field.Int("bucket"),
		field.Int("n"),
		field.Float("value_sum").Default(0).Comment("sum of the values, in days"),
	}
}

func (FunnelSketch) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("cohort_stage", "dim", "metric", "stage_id", "to_stage_id", "cohort_month", "dim_value", "bucket").Unique().StorageKey("funnelsketch_key"),
	}
}

func (FunnelSketch) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
