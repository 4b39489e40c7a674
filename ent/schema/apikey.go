package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// APIKey is a credential of a service client: a role and team, optionally acting as a user. Only
// the sha256 of the secret is stored; the visible prefix identifies the key in lists and logs.
type APIKey struct {
	ent.Schema
}

// Fields of the APIKey.
func (APIKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().Annotations(entgql.OrderField("NAME")),
		field.Enum("role").
			Values("MARKETING", "BDR", "AE", "REVOPS", "ANALYST", "ADMIN").
			Annotations(entgql.OrderField("ROLE")),
		field.String("team").Default(""),
		field.Int("user_id").Optional().Nillable(),
		field.String("prefix").NotEmpty().Unique().Immutable().
			Comment("the visible start of the key, e.g. qk_3f9a1c2b"),
		field.String("key_hash").NotEmpty().Unique().Immutable().Sensitive().
			Comment("hex sha256 of the whole key").Annotations(entgql.Skip()),
		field.Time("created_at").Default(time.Now).Immutable().
			Annotations(entgql.OrderField("CREATED_AT")),
		field.Time("last_used_at").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
	}
}

// Edges of the APIKey.
func (APIKey) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("user", User.Type).Field("user_id").Unique(),
	}
}

// Indexes of the APIKey.
func (APIKey) Indexes() []ent.Index {
	return []ent.Index{index.Fields("revoked_at")}
}

// Annotations of the APIKey.
func (APIKey) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.MultiOrder(),
	}
}
