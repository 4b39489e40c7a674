package lifecycle

import (
	"context"
	"slices"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/stage"
	"github.com/qualify/qualify/ent/stagetransition"
)

// StageTime is the time a lead spent in one stage over all its stays.
type StageTime struct {
	Stage  *ent.Stage
	Time   time.Duration
	Visits int
}

// TimeInStage is how long the lead has been in its current stage.
func (s *Service) TimeInStage(l *ent.Lead) time.Duration {
	return s.now().Sub(l.StageEnteredAt)
}

// StageTimes sums each stay of the lead from its history (every row records when the lead entered
// the stage it leaves), plus the current stay, in funnel order.
func (s *Service) StageTimes(ctx context.Context, l *ent.Lead) ([]StageTime, error) {
	rows, err := s.client.StageTransition.Query().
		Where(stagetransition.LeadID(l.ID), stagetransition.FromStageIDNotNil(), stagetransition.FromEnteredAtNotNil()).
		Select(stagetransition.FieldFromStageID, stagetransition.FieldFromEnteredAt, stagetransition.FieldOccurredAt).
		All(ctx)
	if err != nil {
		return nil, err
	}
	byStage := map[int]*StageTime{}
	add := func(stageID int, d time.Duration) {
		st := byStage[stageID]
		if st == nil {
			st = &StageTime{}
			byStage[stageID] = st
		}
		st.Time += d
		st.Visits++
	}
	for _, r := range rows {
		add(*r.FromStageID, r.OccurredAt.Sub(*r.FromEnteredAt))
	}
	add(l.StageID, s.TimeInStage(l))
	ids := make([]int, 0, len(byStage))
	for id := range byStage {
		ids = append(ids, id)
	}
	stages, err := s.client.Stage.Query().Where(stage.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]StageTime, 0, len(stages))
	for _, st := range stages {
		v := *byStage[st.ID]
		v.Stage = st
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b StageTime) int { return a.Stage.Position - b.Stage.Position })
	return out, nil
}
