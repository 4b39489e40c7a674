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

// Activity is an engagement event on a lead or a contact.
type Activity struct {
	ent.Schema
}

// Fields of the Activity.
func (Activity) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").
			Values("NEWSLETTER_SIGNUP", "FORM_FILL", "CONTENT_DOWNLOAD", "WEB_VISIT", "APPOINTMENT_REQUEST",
				"DISCOVERY_CALL", "MEETING", "DEMO", "EMAIL_REPLY", "EVENT_VISIT").
			Annotations(entgql.OrderField("KIND")),
		field.Time("occurred_at").Default(time.Now).Annotations(entgql.OrderField("OCCURRED_AT")),
		field.JSON("properties", map[string]any{}).Optional().Annotations(entgql.Type("Map")),
		field.Int("lead_id").Optional().Nillable(),
		field.Int("contact_id").Optional().Nillable(),
	}
}

// Edges of the Activity.
func (Activity) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("lead", Lead.Type).Ref("activities").Field("lead_id").Unique(),
		edge.From("contact", Contact.Type).Ref("activities").Field("contact_id").Unique(),
	}
}

// Indexes of the Activity.
func (Activity) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("lead_id", "occurred_at"),
		index.Fields("contact_id", "occurred_at"),
	}
}

// Mixin of the Activity.
func (Activity) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Annotations of the Activity.
func (Activity) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.MultiOrder(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}
