package schema

import (
	"context"
	"errors"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// StageTransition is one move of a lead between stages. The history is append-only: the funnel
// is computed from it, so nothing may rewrite it.
type StageTransition struct {
	ent.Schema
}

// Fields of the StageTransition.
func (StageTransition) Fields() []ent.Field {
	return []ent.Field{
		field.Int("lead_id").Immutable(),
		field.Int("from_stage_id").Optional().Nillable().Immutable().
			Comment("nil for the lead's first stage"),
		field.Int("to_stage_id").Immutable(),
		field.Time("occurred_at").Default(time.Now).Immutable().
			Annotations(entgql.OrderField("OCCURRED_AT")),
		field.Time("from_entered_at").Optional().Nillable().Immutable().
			Comment("when the lead entered from_stage, so a stay is one row, not a window"),
		field.Int("actor_id").Optional().Nillable().Immutable(),
		field.Enum("actor_kind").Values("USER", "POLICY", "IMPORT", "SYSTEM").Immutable(),
		field.Enum("trigger").Values("MANUAL", "AUTO", "API", "IMPORT", "REQUALIFY", "SCHEDULE").Immutable(),
		field.String("reason_code").Default("").Immutable().
			Comment("the reason the policy asked for the move, as the bundle spells it, in lower_snake_case (no_budget); empty when none"),
		field.String("reason").Default("").Immutable(),
		field.String("policy_revision").Default("").Immutable().Comment("the manifest revision: a label"),
		field.String("policy_hash").Default("").Immutable().Comment("content hash of the revision that decided: its identity"),
		field.String("decision_id").Default("").Immutable(),
		field.Int("assigned_owner_id").Optional().Nillable().Immutable(),
		field.Int("owner_id").Optional().Nillable().Immutable().
			Comment("the lead's owner once the move is made: whose stay in to_stage it is (SLA report)"),
		field.String("routing_team").Default("").Immutable().
			Comment("the team routing gave the lead to at a handoff stage; empty when not routed or no team had a member"),
		field.String("routing_code").Default("").Immutable().
			Comment("ROUTE_RULE, ROUTE_DEFAULT, ROUTE_FALLBACK or ROUTE_NO_MEMBER; empty when the stage is not routed"),
		field.String("routing_reason").Default("").Immutable().
			Comment("why routing chose that team, or why the owner stayed"),
	}
}

// Edges of the StageTransition.
func (StageTransition) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("lead", Lead.Type).Ref("transitions").Field("lead_id").Unique().Required().Immutable(),
		edge.To("from_stage", Stage.Type).Field("from_stage_id").Unique().Immutable().
			Annotations(servedFromMemory),
		edge.To("to_stage", Stage.Type).Field("to_stage_id").Unique().Required().Immutable().
			Annotations(servedFromMemory),
		edge.To("actor", User.Type).Field("actor_id").Unique().Immutable(),
		edge.To("assigned_owner", User.Type).Field("assigned_owner_id").Unique().Immutable(),
	}
}

// Indexes of the StageTransition.
func (StageTransition) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("lead_id", "occurred_at"),
		index.Fields("to_stage_id", "occurred_at"),
	}
}

// Hooks of the StageTransition: the history is append-only.
func (StageTransition) Hooks() []ent.Hook {
	return []ent.Hook{
		func(next ent.Mutator) ent.Mutator {
			return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
				if !m.Op().Is(ent.OpCreate) {
					return nil, errors.New("stage transitions are append-only")
				}
				return next.Mutate(ctx, m)
			})
		},
	}
}

// Annotations of the StageTransition.
func (StageTransition) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}
