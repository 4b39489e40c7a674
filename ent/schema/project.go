package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Project is an identified project at an account: a strong buying signal.
type Project struct {
	ent.Schema
}

// Fields of the Project.
func (Project) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().Annotations(entgql.OrderField("NAME")),
		field.Text("description").Default(""),
		field.Enum("status").Values("PLANNED", "SCHEDULED", "IN_PROGRESS", "DONE").
			Annotations(entgql.OrderField("STATUS")),
		field.Time("starts_at").Optional().Nillable().Annotations(entgql.OrderField("STARTS_AT")),
		field.Time("ends_at").Optional().Nillable(),
		field.Float("budget").Optional().Nillable(),
		field.Int("account_id"),
	}
}

// Edges of the Project.
func (Project) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("account", Account.Type).Ref("projects").Field("account_id").Unique().Required(),
		edge.To("key_contacts", Contact.Type).Annotations(entgql.RelayConnection()),
	}
}

// Indexes of the Project.
func (Project) Indexes() []ent.Index {
	return []ent.Index{index.Fields("account_id", "status")}
}

// Mixin of the Project.
func (Project) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Annotations of the Project.
func (Project) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.MultiOrder(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}
