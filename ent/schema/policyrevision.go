package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/qualify/qualify/ent/schema/qualtype"
)

// PolicyRevision is a policy bundle that was loaded once, content-addressed by its hash, so any
// past decision can be re-run on the exact rules that made it.
type PolicyRevision struct {
	ent.Schema
}

// Fields of the PolicyRevision.
func (PolicyRevision) Fields() []ent.Field {
	return []ent.Field{
		field.String("revision").Comment("from the bundle .manifest; several contents may share one"),
		field.String("label").Optional().Unique().
			Comment("the manifest revision, or revision+<first 12 of hash> when another content already has it: unique"),
		field.String("hash").Unique().Comment("sha256 of the bundle's files"),
		field.JSON("files", map[string]string{}).Annotations(entgql.Skip()),
		field.String("source").Default(""),
		field.Time("loaded_at").Default(time.Now).Annotations(entgql.OrderField("LOADED_AT")),
		field.Time("activated_at").Optional().Nillable(),
		field.Enum("status").Values("ACTIVE", "SUPERSEDED", "REFUSED").
			Annotations(entgql.OrderField("STATUS")),
		field.JSON("problems", []qualtype.Problem{}).Optional().Annotations(entgql.Skip()),
		field.String("message").Default("").Comment("publish message, if published through the API"),
	}
}

// Indexes of the PolicyRevision.
func (PolicyRevision) Indexes() []ent.Index {
	return []ent.Index{index.Fields("status", "loaded_at")}
}

// Annotations of the PolicyRevision.
func (PolicyRevision) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
	}
}
