package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// LeadEscalation is an SLA of the schedule policy that a lead broke: one row per lead, rule and
// stay in the stage (stage_entered_at), so that a breach is escalated exactly once however many
// sweeps and replicas see it. It is also what the SLA report counts breaches from. A
// FLAG_MANAGER escalation names the manager it flags, or says why it could flag nobody.
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
		field.Time("escalated_at").Immutable().Annotations(entgql.OrderField("ESCALATED_AT")),
		field.Int("owner_id").Optional().Nillable().Immutable().Comment("the owner when the SLA was breached"),
		field.String("team").Default("").Immutable().Comment("the owner's team then"),
		field.Int("reassigned_to").Optional().Nillable().Immutable(),
		field.Int("flagged_user_id").Optional().Nillable().Immutable().
			Comment("FLAG_MANAGER: the owner's manager, who sees and acknowledges the escalation"),
		field.String("flag_note").Default("").Immutable().
			Comment("why no one was flagged or reassigned to (no owner, no manager, manager inactive, no colleague)"),
		field.Time("acknowledged_at").Optional().Nillable(),
		field.Int("acknowledged_by_id").Optional().Nillable(),
		field.String("policy_revision").Immutable(),
		field.String("policy_hash").Immutable(),
		field.String("decision_id").Immutable(),
	}
}

func (LeadEscalation) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("lead", Lead.Type).Field("lead_id").Unique().Required().Immutable(),
		edge.To("owner", User.Type).Field("owner_id").Unique().Immutable(),
		edge.To("flagged_user", User.Type).Field("flagged_user_id").Unique().Immutable(),
		edge.To("acknowledged_by", User.Type).Field("acknowledged_by_id").Unique(),
	}
}

func (LeadEscalation) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("lead_id", "rule", "stage_entered_at").Unique(),
		index.Fields("escalated_at"),
		index.Fields("flagged_user_id", "acknowledged_at"),
	}
}

// Annotations: read through viewer.escalations (a connection) and acknowledged by a mutation of
// its own; no generic filter or create/update input.
func (LeadEscalation) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}
