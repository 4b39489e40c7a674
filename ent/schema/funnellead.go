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
	// Columns in the order the queries read them: a scan deforms a row up to the last column
	// it needs, so what every funnel reads (the period, the source, the reach times, the exits)
	// comes first, the stays of stageDurations next, and the owners at reach (one grouping)
	// last. With the exits behind the 48 stage columns, counting them cost a fifth more at 1M
	// leads.
	fs := []ent.Field{
		field.Int("id").Immutable().Comment("the lead's id"),
		field.Time("created_at").Comment("the lead's; cohort CREATED"),
		field.String("source"),
	}
	slots := func(prefix, comment string, float bool) {
		for i := 1; i <= FunnelLeadSlots; i++ {
			name := fmt.Sprintf("%s%d", prefix, i)
			if float {
				fs = append(fs, field.Float(name).Optional().Nillable().Comment(comment))
			} else {
				fs = append(fs, field.Int(name).Optional().Nillable().Comment(comment))
			}
		}
	}
	slots("r", "first time the lead entered the slot's stage or a later funnel stage, seconds since 1970 UTC", true)
	fs = append(fs,
		field.Text("exits").Optional().Nillable().Comment("the lead's exits, one line each (see internal/funnel exitLines); null for none"),
		field.Int("owner_id").Optional().Nillable().Comment("the current owner"),
		field.String("team").Default("").Comment("the current owner's team"),
		field.String("industry").Default(""),
		field.String("region").Default(""),
		field.String("cohort_month").Comment("YYYY-MM of created_at, UTC"),
		field.Int("account_id").Optional().Nillable().Comment("the lead's account: where filters on the account read it without the leads table"),
	)
	// The latest and cumulative stays of a slot side by side: stageDurations reads both.
	for i := 1; i <= FunnelLeadSlots; i++ {
		fs = append(fs,
			field.Float(fmt.Sprintf("l%d", i)).Optional().Nillable().Comment("latest closed stay in the slot's stage, days"),
			field.Float(fmt.Sprintf("c%d", i)).Optional().Nillable().Comment("cumulative closed stays in the slot's stage, days"))
	}
	slots("o", "the lead's owner at that time", false)
	return fs
}

func (FunnelLead) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
