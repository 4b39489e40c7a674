package graph

import (
	"context"

	"github.com/qualify/qualify/ent/schema/qualtype"
	"github.com/qualify/qualify/graph/model"
	"github.com/qualify/qualify/internal/authz"
	"github.com/qualify/qualify/internal/decisionlog"
)

// replayModel is a replay as the API shows it: the replayed result with the caller's
// redactions, as the stored one already has them (authz redacts decision logs as they load).
func replayModel(ctx context.Context, r *decisionlog.Replay) *model.DecisionReplay {
	replayed := r.Replayed
	if s, ok := authz.ScopeFrom(ctx); ok {
		replayed = decisionlog.Redact(replayed, s.Redact)
	}
	return &model.DecisionReplay{
		Decision: r.Decision, Revision: r.Revision, RevisionHash: r.RevisionHash,
		Original: r.Original, Replayed: replayed, Same: r.Same,
		ReasonsOnlyInOriginal: reasonPtrs(r.ReasonsOnlyOriginal), ReasonsOnlyInReplay: reasonPtrs(r.ReasonsOnlyReplayed),
	}
}

func reasonPtrs(rs []qualtype.Reason) []*qualtype.Reason {
	out := make([]*qualtype.Reason, len(rs))
	for i := range rs {
		out[i] = &rs[i]
	}
	return out
}

// decisionStats are the decisions per revision of policyStatus.
func decisionStats(s *decisionlog.Stats) []*decisionlog.DecisionStats {
	snap := s.Snapshot()
	out := make([]*decisionlog.DecisionStats, len(snap))
	for i := range snap {
		out[i] = &snap[i]
	}
	return out
}
