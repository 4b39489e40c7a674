package lifecycle

import (
	"context"

	"entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/stagetransition"
	"github.com/qualify/qualify/internal/policy"
)

// manualDecisions returns, for those of the leads ids whose latest transition a person made
// (trigger MANUAL or API by a user), that move: the policy may let it stand (a park, a
// disqualification or a move back is not undone by the next automatic qualification). key
// names a stage id. One query for any number of leads.
func manualDecisions(ctx context.Context, c *ent.Client, ids []int, key func(int) string) (map[int]*policy.ManualDecision, error) {
	out := map[int]*policy.ManualDecision{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := c.StageTransition.Query().
		Where(func(s *sql.Selector) {
			t := sql.Table(stagetransition.Table)
			latest := sql.Select(sql.Max(t.C(stagetransition.FieldID))).From(t).
				Where(sql.InInts(t.C(stagetransition.FieldLeadID), ids...)).GroupBy(t.C(stagetransition.FieldLeadID))
			s.Where(sql.In(s.C(stagetransition.FieldID), latest))
		}).
		Where(stagetransition.ActorKindEQ(stagetransition.ActorKindUSER),
			stagetransition.TriggerIn(stagetransition.TriggerMANUAL, stagetransition.TriggerAPI)).
		Select(stagetransition.FieldLeadID, stagetransition.FieldFromStageID, stagetransition.FieldToStageID,
			stagetransition.FieldOccurredAt, stagetransition.FieldReasonCode).
		All(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		m := &policy.ManualDecision{To: key(r.ToStageID), At: rfc3339(r.OccurredAt), ReasonCode: r.ReasonCode}
		if r.FromStageID != nil {
			m.From = key(*r.FromStageID)
		}
		out[r.LeadID] = m
	}
	return out, nil
}

// stageKey names a stage id of the funnel ("" for one retired since).
func (f *funnel) stageKey(id int) string {
	if s := f.byID[id]; s != nil {
		return s.Key
	}
	return ""
}
