package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// LeadEscalation is an SLA of the schedule policy that a lead broke: one row per lead, rule and
// stay in the stage (stage_entered_at), so that a breach is escalated exactly once however many
// sweeps and replicas see it. It is also what the SLA report counts breaches from.
type LeadEscalation struct {
	ent.Schema
}

func (LeadEscalation) Fields() []ent.Field {
	return []ent.Field{
		field.Int("lead_id").Immutable(),
		field.String("rule").Immutable(),
		field.String("stage").Immutable().Comment("stage key the lead stayed in too long"),
		field.Time("stage_entered_at").Immutable(),
		field.Enum("action").Values("FLAG_MANAGER", "REASSIGN").Immutable(),
		field.Time("due_at").Immutable(),
		field.Time("escalated_at").Immutable(),
		field.Int("owner_id").Optional().Nillable().Immutable().Comment("the owner when the SLA was breached"),
		field.String("team").Default("").Immutable().Comment("the owner's team then"),
		field.Int("reassigned_to").Optional().Nillable().Immutable(),
		field.String("policy_revision").Immutable(),
		field.String("policy_hash").Immutable(),
		field.String("decision_id").Immutable(),
	}
}

func (LeadEscalation) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("lead_id", "rule", "stage_entered_at").Unique(),
		index.Fields("escalated_at"),
	}
}

func (LeadEscalation) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
