package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// PolicyReplica is a server replica's heartbeat: which policy revision it serves, rewritten on a
// short interval, so that any replica can say what all of them serve (policyStatus.replicas).
// A replica that stops deletes its row; one that died stops being listed once its row is stale.
type PolicyReplica struct {
	ent.Schema
}

func (PolicyReplica) Fields() []ent.Field {
	return []ent.Field{
		field.String("replica").Unique().Immutable().Comment("host, process and a random suffix"),
		field.String("revision").Default("").Comment("the active revision's label; empty with none active"),
		field.String("revision_hash").Default(""),
		field.Time("started_at").Immutable(),
		field.Time("seen_at"),
	}
}

func (PolicyReplica) Indexes() []ent.Index {
	return []ent.Index{index.Fields("seen_at")}
}

func (PolicyReplica) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
