package lifecycle

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/schema/field"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/migrate"
	"github.com/qualify/qualify/internal/policy"
)

// scoreCols are the lead columns a score writes: what setDecision and setNextReview set on a
// single lead's mutation, and updated_at as ent's update default would. keepUnset are those
// setDecision leaves alone when the policy's value is not one of the column's (an unknown
// grade keeps the stored one).
var (
	scoreCols = []string{lead.FieldID, lead.FieldFitScore, lead.FieldEngagementScore, lead.FieldScore, lead.FieldGrade,
		lead.FieldTemperature, lead.FieldRecommendedStage, lead.FieldReasons, lead.FieldBant, lead.FieldCoverage,
		lead.FieldProjectSignal, lead.FieldPolicyRevision, lead.FieldPolicyHash, lead.FieldQualifiedAt,
		lead.FieldNextReviewAt, lead.FieldUpdatedAt}
	keepUnset = map[string]bool{lead.FieldGrade: true, lead.FieldTemperature: true}
)

// scoreRow is a lead's new score columns, in scoreCols order, read from the very mutation a
// single lead's qualification builds (m, the update of lead id), so that the bulk write and a
// single one cannot drift.
func scoreRow(m *ent.LeadMutation, id int, d policy.LeadDecision, meta policy.Meta, sd policy.ScheduleDecision, now time.Time) ([]any, error) {
	setDecision(m, d, meta, now)
	setNextReview(m, sd)
	row := make([]any, len(scoreCols))
	row[0] = id
	for i, col := range scoreCols[1:] {
		v, set := m.Field(col)
		switch {
		case col == lead.FieldUpdatedAt:
			v = now
		case set && isJSON(col):
			buf, err := json.Marshal(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", col, err)
			}
			v = json.RawMessage(buf)
		case set:
		case m.FieldCleared(col), keepUnset[col]:
			v = nil // NULL: cleared, or (coalesced) keep the stored value
		default:
			return nil, fmt.Errorf("the score leaves %s unset", col)
		}
		row[i+1] = v
	}
	return row, nil
}

func isJSON(col string) bool { return columnType(col) == field.TypeJSON }

func columnType(col string) field.Type {
	for _, c := range migrate.LeadsColumns {
		if c.Name == col {
			return c.Type
		}
	}
	return field.TypeOther
}

// pgType is the PostgreSQL type a value of col is cast to in the VALUES list.
func pgType(col string) string {
	switch columnType(col) {
	case field.TypeInt, field.TypeInt64:
		return "bigint"
	case field.TypeBool:
		return "boolean"
	case field.TypeJSON:
		return "jsonb"
	case field.TypeTime:
		return "timestamptz"
	default:
		return "text"
	}
}

// updateScores writes rows with exec, one statement per bind-parameter limit:
// WITH v(id, …) AS (VALUES …) UPDATE leads SET … FROM v WHERE leads.id = v.id, which both
// SQLite and PostgreSQL take.
func updateScores(ctx context.Context, dia string, rows []scored, exec func(ctx context.Context, q string, args ...any) error) error {
	limit := 32766
	if dia == dialect.Postgres {
		limit = 65535
	}
	per := limit / len(scoreCols)
	var b strings.Builder
	args := make([]any, 0, min(per, len(rows))*len(scoreCols))
	for lo := 0; lo < len(rows); lo += per {
		b.Reset()
		args = args[:0]
		b.WriteString("WITH v (" + strings.Join(scoreCols, ", ") + ") AS (VALUES ")
		for i, r := range rows[lo:min(lo+per, len(rows))] {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('(')
			for j, v := range r.row {
				if j > 0 {
					b.WriteByte(',')
				}
				args = append(args, v)
				if dia == dialect.Postgres {
					b.WriteString("$" + strconv.Itoa(len(args)) + "::" + pgType(scoreCols[j]))
				} else {
					b.WriteByte('?')
				}
			}
			b.WriteByte(')')
		}
		b.WriteString(") UPDATE leads SET ")
		for j, col := range scoreCols[1:] {
			if j > 0 {
				b.WriteString(", ")
			}
			if keepUnset[col] {
				b.WriteString(col + " = coalesce(v." + col + ", leads." + col + ")")
			} else {
				b.WriteString(col + " = v." + col)
			}
		}
		b.WriteString(" FROM v WHERE leads.id = v.id")
		if err := exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("write scores: %w", err)
		}
	}
	return nil
}
