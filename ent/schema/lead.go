package schema

import (
	"context"
	"errors"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/qualify/qualify/ent/schema/qualtype"
)

// Lead is a potential customer not yet qualified. Stage, scores and version are written by the
// lifecycle service only, never by generic input.
type Lead struct {
	ent.Schema
}

var answer = []string{"UNKNOWN", "NO", "YES"}

// Fields of the Lead.
func (Lead) Fields() []ent.Field {
	return []ent.Field{
		field.String("first_name").Default(""),
		field.String("last_name").Default("").Annotations(entgql.OrderField("LAST_NAME")),
		field.String("email").Optional().Nillable().Comment("lower-cased"),
		field.String("phone").Optional().Nillable().Comment("E.164"),
		field.String("company_name").Default(""),
		field.String("job_title").Default(""),
		field.String("country").Default("").Comment("ISO 3166-1 alpha-2"),
		field.Enum("source").
			Values("WEB_FORM", "NEWSLETTER", "TRADE_FAIR", "DIRECTORY", "REFERRAL", "PAID_AD", "SOCIAL", "OUTBOUND", "PARTNER").
			Annotations(entgql.OrderField("SOURCE")),
		field.Enum("budget").Values(answer...).Default("UNKNOWN"),
		field.Float("budget_amount").Optional().Nillable(),
		field.Enum("authority").Values(answer...).Default("UNKNOWN"),
		field.Enum("need").Values(answer...).Default("UNKNOWN"),
		field.Enum("timing").Values(answer...).Default("UNKNOWN"),
		field.Time("timing_date").Optional().Nillable(),
		field.Float("estimated_value").Optional().Nillable().
			Annotations(entgql.OrderField("ESTIMATED_VALUE")),
		field.Int("account_id").Optional().Nillable(),
		field.Int("owner_id").Optional().Nillable(),
		field.Int("stage_id").Annotations(skipInputs),
		field.Time("stage_entered_at").Default(time.Now).
			Annotations(skipInputs, entgql.OrderField("STAGE_ENTERED_AT")),
		field.Int("furthest_stage_id").Annotations(skipInputs),
		field.Int("fit_score").Default(0).Annotations(skipInputs),
		field.Int("engagement_score").Default(0).Annotations(skipInputs),
		field.Int("score").Default(0).Annotations(skipInputs, entgql.OrderField("SCORE")),
		field.Enum("grade").Values("A", "B", "C", "D").Optional().Nillable().
			Annotations(skipInputs, entgql.OrderField("GRADE")),
		field.Enum("temperature").Values("HOT", "WARM", "COLD").Optional().Nillable().
			Annotations(skipInputs),
		field.String("recommended_stage").Optional().Nillable().Annotations(entgql.Skip()),
		field.JSON("reasons", []qualtype.Reason{}).Optional().Annotations(entgql.Skip()),
		field.JSON("bant", qualtype.BANT{}).Optional().Annotations(entgql.Skip()),
		field.JSON("coverage", qualtype.Coverage{}).Optional().Annotations(entgql.Skip()),
		field.Bool("project_signal").Default(false).Annotations(entgql.Skip()),
		field.Time("qualified_at").Optional().Nillable().Annotations(entgql.Skip()),
		field.Time("next_review_at").Optional().Nillable().
			Comment("when the schedule decision may next find a timed rule due; null when none will").
			Annotations(skipInputs),
		field.String("policy_revision").Optional().Nillable().Annotations(entgql.Skip()),
		field.String("policy_hash").Optional().Nillable().Annotations(entgql.Skip()).
			Comment("content hash of the revision of the last qualification"),
		field.Int("version").Default(1).
			Comment("optimistic concurrency: bumped by every write").
			Annotations(skipInputs),
		field.String("opportunity_name").Optional().Nillable().Annotations(skipInputs),
		field.Time("converted_at").Optional().Nillable().
			Comment("when convertLead made the lead an opportunity").
			Annotations(skipInputs, entgql.OrderField("CONVERTED_AT")),
		field.Time("last_activity_at").Optional().Nillable().
			Comment("when the latest of the lead's activities occurred; kept by every activity write").
			Annotations(skipInputs, entgql.OrderField("LAST_ACTIVITY_AT")),
		field.String("idempotency_key").Optional().Nillable().Immutable().
			Comment("unique per idempotency_scope").
			Annotations(entgql.Skip()),
		field.String("idempotency_scope").Optional().Nillable().Immutable().
			Comment("the caller the key belongs to: user:12, apikey:7").
			Annotations(entgql.Skip()),
		field.String("idempotency_hash").Optional().Nillable().Immutable().
			Comment("sha256 of the request that used the key: a replay must send the same").
			Annotations(entgql.Skip()),
	}
}

// Edges of the Lead.
func (Lead) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("account", Account.Type).Ref("leads").Field("account_id").Unique().
			Annotations(entgql.OrderField("ACCOUNT_NAME")),
		edge.From("owner", User.Type).Ref("owned_leads").Field("owner_id").Unique().
			Annotations(entgql.OrderField("OWNER_NAME")),
		edge.To("stage", Stage.Type).Field("stage_id").Unique().Required().
			Annotations(skipInputs, servedFromMemory, entgql.OrderField("STAGE_POSITION")),
		edge.To("furthest_stage", Stage.Type).Field("furthest_stage_id").Unique().Required().
			Annotations(skipInputs, servedFromMemory),
		edge.To("contacts", Contact.Type).Annotations(entgql.RelayConnection()),
		edge.To("activities", Activity.Type).Annotations(entgql.RelayConnection(), skipInputs),
		edge.To("transitions", StageTransition.Type).
			Annotations(entgql.RelayConnection(), skipInputs),
		edge.To("decisions", DecisionLog.Type).
			Annotations(entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput, entgql.SkipWhereInput)),
	}
}

// Indexes of the Lead.
func (Lead) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("stage_id", "created_at"),
		index.Fields("owner_id", "stage_id"),
		// The row filter (internal/authz) reads which leads a caller sees, and their accounts,
		// from this index alone: a count or where of contacts never reads the wide lead rows.
		index.Fields("owner_id", "id", "account_id"),
		index.Fields("source", "created_at"),
		index.Fields("created_at"),
		index.Fields("account_id"),
		index.Fields("email"),
		// The sweep finds due leads through this index, never by scanning leads.
		index.Fields("next_review_at"),
		index.Fields("last_activity_at"),
		// An idempotency key is the caller's: the same key from another caller is another lead.
		index.Fields("idempotency_scope", "idempotency_key").Unique(),
	}
}

// Hooks of the Lead: a lead is never deleted; disqualified is a stage, not a removal.
func (Lead) Hooks() []ent.Hook {
	return []ent.Hook{
		func(next ent.Mutator) ent.Mutator {
			return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
				if m.Op().Is(ent.OpDelete | ent.OpDeleteOne) {
					return nil, errors.New("leads are never deleted: disqualify them instead")
				}
				return next.Mutate(ctx, m)
			})
		},
	}
}

// Mixin of the Lead.
func (Lead) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Annotations of the Lead.
func (Lead) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.MultiOrder(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}
