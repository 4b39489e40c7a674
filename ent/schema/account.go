package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Account is a company. Its domain is stored normalized and is unique.
type Account struct {
	ent.Schema
}

// Fields of the Account.
func (Account) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().Annotations(entgql.OrderField("NAME")),
		field.String("domain").Optional().Nillable().Unique().
			Comment("normalized registrable domain, e.g. example.co.uk").
			Annotations(entgql.OrderField("DOMAIN")),
		field.String("industry").Default("").Annotations(entgql.OrderField("INDUSTRY")),
		field.Int("employee_count").Optional().Nillable().NonNegative().
			Annotations(entgql.OrderField("EMPLOYEE_COUNT")),
		field.Float("annual_revenue").Optional().Nillable().
			Annotations(entgql.OrderField("ANNUAL_REVENUE")),
		field.String("country").Default("").Comment("ISO 3166-1 alpha-2"),
		field.Enum("region").Values("EMEA", "NA", "LATAM", "APAC").Optional().Nillable().
			Annotations(entgql.OrderField("REGION")),
	}
}

// Edges of the Account.
func (Account) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("contacts", Contact.Type).Annotations(entgql.RelayConnection()),
		edge.To("leads", Lead.Type).Annotations(entgql.RelayConnection()),
		edge.To("projects", Project.Type).Annotations(entgql.RelayConnection()),
	}
}

// Indexes of the Account.
func (Account) Indexes() []ent.Index {
	return []ent.Index{index.Fields("industry"), index.Fields("region")}
}

// Mixin of the Account.
func (Account) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Annotations of the Account.
func (Account) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.MultiOrder(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}
