package policyadmin

import (
	"slices"

	"github.com/qualify/qualify/internal/policy"
)

// project computes reached(stage) under both revisions from the stage matrix, and MQL→SQL.
// A funnel stage (kind open or won) is reached by a lead recommended that stage or a later
// funnel stage, as the funnel counts skipped stages; parked and lost stages only by their own.
func project(ts []*tally, activeStages, draftStages []policy.Stage) ([]*ProjectedStage, *float64, *float64) {
	now, draft := map[string]int{}, map[string]int{}
	for _, t := range ts {
		for k, n := range t.matrix {
			now[k[0]] += n
			draft[k[1]] += n
		}
	}
	stages := slices.Clone(draftStages)
	for _, st := range activeStages {
		if !slices.ContainsFunc(stages, func(x policy.Stage) bool { return x.Key == st.Key }) {
			stages = append(stages, st)
		}
	}
	slices.SortStableFunc(stages, func(a, b policy.Stage) int { return a.Position - b.Position })
	out := make([]*ProjectedStage, 0, len(stages))
	byKey := map[string]*ProjectedStage{}
	for _, st := range stages {
		p := &ProjectedStage{Stage: st.Key, Kind: st.Kind,
			ReachedNow: reached(st, activeStages, now), ReachedDraft: reached(st, draftStages, draft)}
		out = append(out, p)
		byKey[st.Key] = p
	}
	var nowRate, draftRate *float64
	if mql, sql := byKey["mql"], byKey["sql"]; mql != nil && sql != nil {
		nowRate, draftRate = ratio(sql.ReachedNow, mql.ReachedNow), ratio(sql.ReachedDraft, mql.ReachedDraft)
	}
	return out, nowRate, draftRate
}

func funnelKind(kind string) bool { return kind == "open" || kind == "won" }

// reached counts the leads whose recommended stage (counts by key) reaches st in stages.
func reached(st policy.Stage, stages []policy.Stage, counts map[string]int) int {
	if !funnelKind(st.Kind) {
		return counts[st.Key]
	}
	n := 0
	for _, o := range stages {
		if funnelKind(o.Kind) && o.Position >= st.Position {
			n += counts[o.Key]
		}
	}
	return n
}

func ratio(a, b int) *float64 {
	if b == 0 {
		return nil
	}
	r := float64(a) / float64(b)
	return &r
}
