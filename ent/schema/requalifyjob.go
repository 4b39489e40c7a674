package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// RequalifyJob is a background run of the active qualification policy over the stored leads
// matching a filter, run by the job engine. Its progress is persisted with each batch of leads,
// so that a client can follow it and an interrupted run resumes where it stopped.
type RequalifyJob struct {
	ent.Schema
}

// Fields of the RequalifyJob.
func (RequalifyJob) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("status").Values("QUEUED", "RUNNING", "SUCCEEDED", "FAILED").Default("QUEUED"),
		field.JSON("where", map[string]any{}).Optional().
			Comment("the LeadWhereInput the job was started with").Annotations(entgql.Type("Map")),
		field.Int("total").Default(0),
		field.Int("processed").Default(0),
		field.Int("moved").Default(0).Comment("leads the job moved to another stage"),
		field.Int("failed").Default(0).Comment("leads that could not be re-qualified"),
		field.Strings("errors").Optional().Comment("the first errors, capped"),
		field.String("policy_revision").Default(""),
		field.String("policy_hash").Default("").Comment("content hash of the revision the job decides with"),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("started_at").Optional().Nillable(),
		field.Time("finished_at").Optional().Nillable(),
		field.Int64("river_job_id").Optional().Nillable().
			Comment("the engine's job (internal/jobs) that runs it").Annotations(entgql.Skip()),
		field.Int("checkpoint").Default(0).
			Comment("id of the last lead processed: a resumed run goes on after it; written with each batch's changes").Annotations(entgql.Skip()),
		field.String("only_changed_from").Default("").
			Comment("RequalifyOptions.OnlyChangedFrom of the job").Annotations(entgql.Skip()),
	}
}

// Annotations of the RequalifyJob.
func (RequalifyJob) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}
