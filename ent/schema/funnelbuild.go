package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// FunnelBuild records what the funnel rollup (FunnelLead, FunnelExit) was last rebuilt for: the fingerprint of the stage list (keys, positions, kinds,
// retired flags), since the rollup's stage slots follow that list. One row, key
// "rollup"; a stage list that differs from it makes the funnel rebuild in the background.
type FunnelBuild struct {
	ent.Schema
}

func (FunnelBuild) Fields() []ent.Field {
	return []ent.Field{
		field.String("key").Unique().NotEmpty(),
		field.String("stages_fingerprint"),
		field.Time("built_at"),
	}
}

func (FunnelBuild) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
