package graph

import (
	"strings"

	"context"
	"slices"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/policyrevision"
	"github.com/qualify/qualify/ent/schema/qualtype"
	"github.com/qualify/qualify/graph/model"
	"github.com/qualify/qualify/internal/policy"
)

// qualificationOf presents the decision fields stored on a lead.
func qualificationOf(l *ent.Lead) *model.Qualification {
	q := &model.Qualification{
		FitScore: l.FitScore, EngagementScore: l.EngagementScore, Score: l.Score,
		Grade: l.Grade, Temperature: l.Temperature, RecommendedStage: l.RecommendedStage,
		ProjectSignal: l.ProjectSignal, PolicyRevision: l.PolicyRevision, PolicyHash: l.PolicyHash, QualifiedAt: l.QualifiedAt,
		Reasons: make([]*qualtype.Reason, len(l.Reasons)),
	}
	for i := range l.Reasons {
		q.Reasons[i] = &l.Reasons[i]
	}
	if l.QualifiedAt != nil {
		q.Bant, q.Coverage = &l.Bant, &l.Coverage
	}
	return q
}

func filesOf(r *ent.PolicyRevision) []*model.PolicyFile {
	out := make([]*model.PolicyFile, 0, len(r.Files))
	for p, c := range r.Files {
		out = append(out, &model.PolicyFile{Path: p, Content: c})
	}
	slices.SortFunc(out, func(a, b *model.PolicyFile) int {
		switch {
		case a.Path < b.Path:
			return -1
		case a.Path > b.Path:
			return 1
		}
		return 0
	})
	return out
}

// policyStatus reads the stored records of the revision this server decides with and of the
// newest refused one.
func policyStatus(ctx context.Context, c *ent.Client, e *policy.Engine) (*model.PolicyStatus, error) {
	st := &model.PolicyStatus{Evaluators: []*model.PolicyEvaluator{}}
	if rev := e.Active(); rev != nil {
		for _, ev := range rev.Evaluators() {
			pe := &model.PolicyEvaluator{Query: ev.Query, Evaluator: model.PolicyEvaluatorKindPlan}
			if ev.Evaluator == policy.EvaluatorTopdown {
				pe.Evaluator, pe.Reason = model.PolicyEvaluatorKindTopdown, &ev.Reason
			}
			st.Evaluators = append(st.Evaluators, pe)
		}
		r, err := c.PolicyRevision.Query().Where(policyrevision.Hash(rev.Hash())).Only(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return nil, err
		}
		st.Active = r
	}
	r, err := c.PolicyRevision.Query().Where(policyrevision.StatusEQ(policyrevision.StatusREFUSED)).
		Order(ent.Desc(policyrevision.FieldLoadedAt)).First(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, err
	}
	st.LastRefused = r
	return st, nil
}

// upper maps a policy value (yes, partial) to its API enum (YES, PARTIAL): the API spells every
// enum upper-case, the policy's data lower-case.
func upper(s string) string { return strings.ToUpper(s) }
