package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Contact is a person at an account with a buying role.
type Contact struct {
	ent.Schema
}

// Fields of the Contact.
func (Contact) Fields() []ent.Field {
	return []ent.Field{
		field.String("first_name").Default(""),
		field.String("last_name").NotEmpty().Annotations(entgql.OrderField("LAST_NAME")),
		field.String("email").Optional().Nillable().Unique().
			Comment("lower-cased").
			Annotations(entgql.OrderField("EMAIL")),
		field.String("phone").Optional().Nillable().Comment("E.164"),
		field.String("title").Default(""),
		field.Enum("seniority").
			Values("C_LEVEL", "VP", "DIRECTOR", "MANAGER", "INDIVIDUAL", "UNKNOWN").
			Default("UNKNOWN"),
		field.Enum("buying_role").
			Values("DECISION_MAKER", "RECOMMENDER", "INFLUENCER", "USER", "GATEKEEPER", "UNKNOWN").
			Default("UNKNOWN").
			Annotations(entgql.OrderField("BUYING_ROLE")),
		field.Int("account_id").Optional().Nillable(),
		field.Time("last_activity_at").Optional().Nillable().Annotations(skipInputs).
			Comment("when the latest activity of the contact, or of a lead with the same email, occurred"),
	}
}

// Edges of the Contact.
func (Contact) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("account", Account.Type).Ref("contacts").Field("account_id").Unique(),
		edge.From("leads", Lead.Type).Ref("contacts").Annotations(entgql.RelayConnection()),
		edge.From("projects", Project.Type).Ref("key_contacts").Annotations(entgql.RelayConnection()),
		edge.To("activities", Activity.Type).Annotations(entgql.RelayConnection()),
	}
}

// Indexes of the Contact.
func (Contact) Indexes() []ent.Index {
	return []ent.Index{index.Fields("account_id", "buying_role")}
}

// Mixin of the Contact.
func (Contact) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Annotations of the Contact.
func (Contact) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.MultiOrder(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}
