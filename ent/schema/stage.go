package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// Stage is a funnel stage. The list comes from the active policy bundle and is synced on
// activation; a stage that leaves the bundle is retired, never deleted, since history names it.
type Stage struct {
	ent.Schema
}

// Fields of the Stage.
func (Stage) Fields() []ent.Field {
	return []ent.Field{
		field.String("key").NotEmpty().Unique().Annotations(entgql.OrderField("KEY")).
			Comment("the key the policy bundle gives the stage, in lower_snake_case (sql, nurture): data of the bundle, not a schema enum"),
		field.String("name").NotEmpty(),
		field.Int("position").Annotations(entgql.OrderField("POSITION")),
		field.Enum("kind").Values("OPEN", "WON", "LOST", "PARKED"),
		field.Bool("retired").Default(false),
	}
}

// Annotations of the Stage.
func (Stage) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
	}
}
