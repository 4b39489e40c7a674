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

// AuditEvent is one administrative act: who published, approved or rolled back a policy, started
// a re-qualification or a simulation, created or revoked an API key, with their message. The
// log is append-only.
type AuditEvent struct {
	ent.Schema
}

// Fields of the AuditEvent.
func (AuditEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Time("occurred_at").Default(time.Now).Immutable().
			Annotations(entgql.OrderField("OCCURRED_AT")),
		field.Enum("action").Values(
			"POLICY_PUBLISH", "POLICY_ROLLBACK", "POLICY_APPROVE", "POLICY_SIMULATE",
			"REQUALIFY_START", "API_KEY_CREATE", "API_KEY_REVOKE", "JOB_RETRY", "JOB_CANCEL",
			"IMPORT_START",
		).Immutable().Annotations(entgql.OrderField("ACTION")),
		field.String("actor").Immutable().
			Comment(`who: "user:12", "apikey:7", a token subject, or "cli:<os user>"`),
		field.Int("actor_user_id").Optional().Nillable().Immutable(),
		field.String("actor_role").Default("").Immutable(),
		field.Enum("via").Values("API", "CLI").Default("API").Immutable(),
		field.String("target").Default("").Immutable().
			Comment("what: a revision hash, a job id, an API key id"),
		field.String("message").Default("").Immutable(),
		field.JSON("details", map[string]any{}).Optional().Immutable().
			Annotations(entgql.Type("Map")),
	}
}

// Edges of the AuditEvent: the acting user, so that screens name people rather than "user:12"
// (eager-loaded with the page of events, one query for all of them).
func (AuditEvent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("actor_user", User.Type).Field("actor_user_id").Unique().Immutable(),
	}
}

// Indexes of the AuditEvent.
func (AuditEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("occurred_at"),
		index.Fields("action", "target"),
	}
}

// Hooks of the AuditEvent: the log is append-only.
func (AuditEvent) Hooks() []ent.Hook {
	return []ent.Hook{
		func(next ent.Mutator) ent.Mutator {
			return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
				if !m.Op().Is(ent.OpCreate) {
					return nil, errors.New("audit events are append-only")
				}
				return next.Mutate(ctx, m)
			})
		},
	}
}

// Annotations of the AuditEvent.
func (AuditEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}
