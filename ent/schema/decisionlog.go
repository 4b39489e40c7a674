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

// DecisionLog is one policy decision as it was made: its id, the revision (hash and label), the
// input it saw, its result, latency and caller, so that it can be looked up and replayed on any
// stored revision. Rows are only ever added, and removed by the retention purge.
type DecisionLog struct {
	ent.Schema
}

// Fields of the DecisionLog.
func (DecisionLog) Fields() []ent.Field {
	return []ent.Field{
		field.String("decision_id").Unique().Immutable().Comment("the policy's decision id (26 characters, time-ordered)"),
		field.Enum("kind").Values("LEAD", "TRANSITION", "ROUTING", "AUTHZ", "SCHEDULE").Immutable(),
		field.String("path").Immutable().Comment("the decision's rule path, e.g. qualify/lead/decision"),
		field.Int("lead_id").Optional().Nillable().Immutable(),
		field.String("revision").Default("").Immutable().Comment("the .manifest label of the revision"),
		field.String("revision_hash").Immutable(),
		field.JSON("input", map[string]any{}).Immutable().Annotations(entgql.Skip()),
		field.JSON("result", map[string]any{}).Optional().Immutable().Annotations(entgql.Skip()),
		field.String("error").Default("").Immutable(),
		field.Int64("latency_ns").Immutable().Annotations(entgql.Skip()),
		field.String("caller").Default("").Immutable().Comment("who asked: user:<id>, key:<id> or system"),
		field.String("caller_role").Default("").Immutable(),
		field.String("trigger").Default("").Immutable(),
		field.Time("decided_at").Default(time.Now).Immutable().Annotations(entgql.OrderField("DECIDED_AT")),
	}
}

// Edges of the DecisionLog.
func (DecisionLog) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("lead", Lead.Type).Ref("decisions").Field("lead_id").Unique().Immutable(),
	}
}

// Indexes of the DecisionLog.
func (DecisionLog) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("lead_id", "decided_at"),
		index.Fields("decided_at"),
	}
}

// Hooks of the DecisionLog: a logged decision is never rewritten (the purge deletes).
func (DecisionLog) Hooks() []ent.Hook {
	return []ent.Hook{
		func(next ent.Mutator) ent.Mutator {
			return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
				if m.Op().Is(ent.OpUpdate) || m.Op().Is(ent.OpUpdateOne) {
					return nil, errors.New("decision logs are append-only")
				}
				return next.Mutate(ctx, m)
			})
		},
	}
}

// Annotations of the DecisionLog.
func (DecisionLog) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}
