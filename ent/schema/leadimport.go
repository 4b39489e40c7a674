package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// ImportMapping is a saved, reusable mapping of CSV headers to lead fields.
type ImportMapping struct {
	ent.Schema
}

// Fields of the ImportMapping.
func (ImportMapping) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().Unique(),
		field.JSON("columns", map[string]string{}).Annotations(entgql.Skip()).
			Comment("header as written in the file -> lead field; an empty field ignores the column"),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Annotations of the ImportMapping.
func (ImportMapping) Annotations() []schema.Annotation {
	return []schema.Annotation{skipGenerated}
}

// ImportRun is one import of a file: its counts, progress and per-row error report.
type ImportRun struct {
	ent.Schema
}

// Fields of the ImportRun.
func (ImportRun) Fields() []ent.Field {
	return []ent.Field{
		field.String("file_name").Default(""),
		field.Bool("dry_run").Default(false),
		field.Enum("status").Values("QUEUED", "RUNNING", "SUCCEEDED", "FAILED").Default("RUNNING"),
		field.String("encoding").Default(""),
		field.String("delimiter").Default(""),
		field.Int("total").Default(0),
		field.Int("processed").Default(0),
		field.Int("created").Default(0),
		field.Int("matched").Default(0),
		field.Int("refused").Default(0),
		field.Strings("unknown_columns").Optional(),
		field.Text("error_csv").Default("").Comment("the per-row error report: row,column,code,reason, then the row"),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("finished_at").Optional().Nillable(),
		// What a queued run works from: the file and the options it was started with. The file is
		// dropped when the run finishes.
		field.Bytes("file").Optional().Nillable().Annotations(entgql.Skip()).
			Comment("the uploaded file, kept until the run finishes"),
		field.JSON("columns", map[string]string{}).Optional().Annotations(entgql.Skip()).
			Comment("the mapping the run applies: header -> lead field"),
		field.String("default_source").Default("").Annotations(entgql.Skip()),
		field.Int("checkpoint").Default(0).Annotations(entgql.Skip()).
			Comment("rows committed, in file order: a resumed run starts after them"),
		field.Int64("river_job_id").Optional().Nillable().Annotations(entgql.Skip()),
		// Who started the run: its job acts as them, so the leads, history rows and decisions it
		// writes carry them as actor, as an import worked in the request would.
		field.Int("started_by_id").Optional().Nillable().Annotations(entgql.Skip()).
			Comment("the user who started the run; none for a service client or the CLI"),
		field.String("started_by_role").Default("").Annotations(entgql.Skip()),
		field.String("started_by_team").Default("").Annotations(entgql.Skip()),
		field.String("started_by_via").Default("").Annotations(entgql.Skip()),
		field.String("started_by_subject").Default("").Annotations(entgql.Skip()),
	}
}

// Annotations of the ImportRun.
func (ImportRun) Annotations() []schema.Annotation {
	return []schema.Annotation{skipGenerated}
}
