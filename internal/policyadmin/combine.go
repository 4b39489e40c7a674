package policyadmin

import "github.com/qualify/qualify/internal/policy"

// combine is the simulation of two disjoint lead sets from the simulations of each (either may
// be nil): their tallies merged as Compare merges its workers', so that a simulation run batch
// by batch equals one run at once.
func combine(a, b *PolicySimulation, sample int, active, draft *policy.Revision) *PolicySimulation {
	ts := []*tally{newTally()}
	var took float64
	for _, s := range []*PolicySimulation{a, b} {
		if s != nil {
			ts = append(ts, tallyOf(s))
			took += s.DurationMs
		}
	}
	out := merge(ts, sample)
	out.ActiveRevision, out.DraftRevision, out.DraftHash = active.ID(), draft.ID(), draft.Hash()
	out.Funnel, out.MqlToSqlNow, out.MqlToSqlDraft = project(ts, active.Stages(), draft.Stages())
	out.DurationMs = took
	return out
}

// tallyOf is the tally a simulation's counts came from.
func tallyOf(s *PolicySimulation) *tally {
	t := newTally()
	t.leads, t.stage, t.rec, t.stale, t.outcome = s.Leads, s.StageChanged, s.RecommendationChanged, s.AlreadyStale, s.OutcomeChanged
	t.changedOnly, t.protected, t.grade, t.temp = s.ChangedOnlyMoves, s.Protected, s.GradeChanged, s.TemperatureChanged
	t.errs, t.firstErr = s.Errors, s.FirstError
	for _, c := range s.StageMatrix {
		t.matrix[[2]string{c.From, c.To}] += c.Count
	}
	for _, c := range s.RequalifyMatrix {
		cc := *c
		t.cells[cellKey{c.Stored, c.Active, c.Draft, c.Outcome}] = &cc
	}
	for i, b := range s.ScoreHistogram {
		if i < buckets {
			t.before[i], t.after[i] = b.Before, b.After
		}
	}
	t.sample, t.protectedSample = s.Sample, s.ProtectedSample
	return t
}
