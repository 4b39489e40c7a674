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

// skipGenerated keeps a type's where input, order and mutation inputs out of the generated
// GraphQL schema: internal/webhook and internal/leadimport own their API.
var skipGenerated = entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)

// WebhookEndpoint is a receiver of signed lead events (Standard Webhooks). The secrets never
// leave the server after creation or rotation; the previous one stays valid until it expires.
type WebhookEndpoint struct {
	ent.Schema
}

// Fields of the WebhookEndpoint.
func (WebhookEndpoint) Fields() []ent.Field {
	return []ent.Field{
		field.String("url").NotEmpty(),
		field.String("description").Default(""),
		field.Strings("event_types").Optional().Comment("lead.created, lead.stage_changed; empty: all"),
		field.Strings("from_stages").Optional().Comment("stage keys; empty: any"),
		field.Strings("to_stages").Optional().Comment("stage keys; empty: any"),
		field.Strings("teams").Optional().Comment("teams of the lead's owner; empty: any"),
		field.String("secret").Sensitive().Annotations(entgql.Skip()).Comment("whsec_ base64"),
		field.String("previous_secret").Optional().Nillable().Sensitive().Annotations(entgql.Skip()),
		field.Time("previous_secret_expires_at").Optional().Nillable(),
		field.Int("owner_id").Optional().Nillable().Comment("the user told when it is disabled"),
		field.Bool("enabled").Default(true),
		field.Time("disabled_at").Optional().Nillable(),
		field.String("disabled_reason").Default(""),
		field.Time("failing_since").Optional().Nillable().Comment("first failure since the last success"),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Edges of the WebhookEndpoint.
func (WebhookEndpoint) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("owner", User.Type).Field("owner_id").Unique(),
		edge.To("deliveries", WebhookDelivery.Type).Annotations(entgql.Skip()),
	}
}

// Annotations of the WebhookEndpoint.
func (WebhookEndpoint) Annotations() []schema.Annotation {
	return []schema.Annotation{skipGenerated}
}

// WebhookDelivery is one event for one endpoint: the transactional outbox row written with the
// change, then the state of its delivery.
type WebhookDelivery struct {
	ent.Schema
}

// Fields of the WebhookDelivery.
func (WebhookDelivery) Fields() []ent.Field {
	return []ent.Field{
		field.Int("endpoint_id").Immutable(),
		field.String("event_id").NotEmpty().Immutable().Comment("webhook-id: the same on every attempt"),
		field.String("event_type").Immutable(),
		field.Int("lead_id").Optional().Nillable().Immutable(),
		field.Int("transition_id").Optional().Nillable().Immutable(),
		field.Text("payload").Immutable().Annotations(entgql.Skip()),
		field.Enum("status").Values("PENDING", "DELIVERED", "FAILED").Default("PENDING"),
		field.Int("attempts").Default(0),
		field.Time("next_attempt_at").Default(time.Now).Comment("due, or leased by a sender until then"),
		field.Int("last_status_code").Optional().Nillable(),
		field.String("last_error").Default(""),
		field.Time("delivered_at").Optional().Nillable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Edges of the WebhookDelivery.
func (WebhookDelivery) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("endpoint", WebhookEndpoint.Type).Ref("deliveries").Field("endpoint_id").Unique().Required().Immutable(),
		edge.To("attempt_log", WebhookAttempt.Type),
	}
}

// Indexes of the WebhookDelivery.
func (WebhookDelivery) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("status", "next_attempt_at"),
		index.Fields("endpoint_id", "created_at"),
		index.Fields("endpoint_id", "event_id").Unique(),
	}
}

// Annotations of the WebhookDelivery.
func (WebhookDelivery) Annotations() []schema.Annotation {
	return []schema.Annotation{skipGenerated}
}

// WebhookAttempt is one HTTP request of a delivery: the delivery log.
type WebhookAttempt struct {
	ent.Schema
}

// Fields of the WebhookAttempt.
func (WebhookAttempt) Fields() []ent.Field {
	return []ent.Field{
		field.Int("delivery_id").Immutable(),
		field.Time("at").Default(time.Now).Immutable(),
		field.Int("status_code").Optional().Nillable().Immutable().Comment("nil when no response came"),
		field.Int("duration_ms").Immutable(),
		field.String("error").Default("").Immutable(),
	}
}

// Edges of the WebhookAttempt.
func (WebhookAttempt) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("delivery", WebhookDelivery.Type).Ref("attempt_log").Field("delivery_id").Unique().Required().Immutable(),
	}
}

// Annotations of the WebhookAttempt.
func (WebhookAttempt) Annotations() []schema.Annotation {
	return []schema.Annotation{skipGenerated}
}
