package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// User is a member of the revenue team. Leads are owned by users.
type User struct {
	ent.Schema
}

// Fields of the User.
func (User) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().Annotations(entgql.OrderField("NAME")),
		field.String("email").NotEmpty().Unique().Annotations(entgql.OrderField("EMAIL")),
		field.Enum("role").
			Values("MARKETING", "BDR", "AE", "REVOPS", "ANALYST", "ADMIN").
			Annotations(entgql.OrderField("ROLE")),
		field.String("team").Default("").Annotations(entgql.OrderField("TEAM")),
		field.Bool("active").Default(true),
		field.Int("manager_id").Optional().Nillable().
			Comment("whom an SLA escalation of action flag_manager flags for this user's leads"),
	}
}

// Edges of the User.
func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("owned_leads", Lead.Type).Annotations(entgql.RelayConnection()),
		// The manager is set by the user admin mutations (managerID); the reports are read only.
		edge.To("reports", User.Type).
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)).
			From("manager").Field("manager_id").Unique(),
	}
}

// Indexes of the User.
func (User) Indexes() []ent.Index {
	return []ent.Index{index.Fields("team", "role", "active")}
}

// Mixin of the User.
func (User) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Annotations of the User.
func (User) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.MultiOrder(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}
