package schema

import (
	"fmt"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// FunnelLeadSlots is how many stages (funnel stages, then exit stages, in position order, not
// retired) a FunnelLead row has columns for; a stage list longer than this is answered from the
// transitions.
const FunnelLeadSlots = 12

// FunnelLead is the funnel rollup: one row per lead (its id is the lead's), holding the
// dimensions the funnel groups by, and per stage slot (FunnelBuild records which stage list the
// slots follow) when the lead first reached it (r), whose it was then (o), and its latest and
// cumulative closed stays in days (l, c), and its exits as text. Reach times are seconds (float), so that the days
// between two stages are a subtraction. Derived from StageTransition by internal/funnel in the
// transaction of each transition or dimension change, and rebuilt by `qualify funnel rebuild`.
type FunnelLead struct {
	ent.Schema
}

func (FunnelLead) Fields() []ent.Field {
	fs := []ent.Field{
		field.Int("id").Immutable().Comment("the lead's id"),
		field.Time("created_at").Comment("the lead's; cohort CREATED"),
		field.String("cohort_month").Comment("YYYY-MM of created_at, UTC"),
		field.String("source"),
		field.Int("owner_id").Optional().Nillable().Comment("the current owner"),
		field.String("team").Default("").Comment("the current owner's team"),
		field.String("industry").Default(""),
		field.String("region").Default(""),
		field.Int("account_id").Optional().Nillable().Comment("the lead's account: where filters on the account read it without the leads table"),
		field.Text("exits").Optional().Nillable().Comment("the lead's exits, one line each (see internal/funnel exitLines); null for none"),
	}
	// Columns grouped by kind, so that the queries, which read a few reach times, deform only
	// the start of a row.
	for _, k := range []struct{ prefix, comment string }{
		{"r", "first time the lead entered the slot's stage or a later funnel stage, seconds since 1970 UTC"},
		{"o", "the lead's owner at that time"},
		{"l", "latest closed stay in the slot's stage, days"},
		{"c", "cumulative closed stays in the slot's stage, days"},
	} {
		for i := 1; i <= FunnelLeadSlots; i++ {
			name := fmt.Sprintf("%s%d", k.prefix, i)
			switch k.prefix {
			case "o":
				fs = append(fs, field.Int(name).Optional().Nillable().Comment(k.comment))
			default:
				fs = append(fs, field.Float(name).Optional().Nillable().Comment(k.comment))
			}
		}
	}
	return fs
}

func (FunnelLead) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
