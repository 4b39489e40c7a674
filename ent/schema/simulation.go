package schema

import (
	"encoding/json"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// Simulation is a policy simulation run in the background by the job engine, for lead sets too
// large for one request: the draft it simulates, its progress, and its result once done. The
// partial result is written with each batch's checkpoint, so that a stopped run resumes.
type Simulation struct {
	ent.Schema
}

// Fields of the Simulation.
func (Simulation) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("status").Values("QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED").Default("QUEUED"),
		field.String("draft_hash").Comment("content hash of the simulated draft"),
		field.JSON("draft_files", map[string]string{}).Annotations(entgql.Skip()).
			Comment("the draft's files: drafts are not stored elsewhere, and the job needs them to resume"),
		field.String("active_hash").Comment("content hash of the revision the draft is compared with, the active one at the start"),
		field.JSON("where", map[string]any{}).Optional().
			Comment("the LeadWhereInput the simulation was started with").Annotations(entgql.Type("Map")),
		field.Int("sample").Default(20).Comment("changed leads the result lists"),
		field.String("requested_by").Default("").Comment("the audit actor who started it"),
		field.Int("total").Default(0),
		field.Int("processed").Default(0),
		field.Strings("errors").Optional(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("started_at").Optional().Nillable(),
		field.Time("finished_at").Optional().Nillable(),
		field.Int64("river_job_id").Optional().Nillable().
			Comment("the engine's job (internal/jobs) that runs it").Annotations(entgql.Skip()),
		field.Int("checkpoint").Default(0).Annotations(entgql.Skip()).
			Comment("id of the last lead counted into partial: a resumed run goes on after it"),
		field.JSON("partial", json.RawMessage{}).Optional().Annotations(entgql.Skip()).
			Comment("the result over the leads up to checkpoint (policyadmin.PolicySimulation); the result once SUCCEEDED"),
	}
}

// Annotations of the Simulation.
func (Simulation) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}
