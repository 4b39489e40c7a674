package policyadmin

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"github.com/qualify/qualify/ent/schema/qualtype"
	"github.com/qualify/qualify/ent/stagetransition"
	"github.com/qualify/qualify/internal/lifecycle"
	"github.com/qualify/qualify/internal/policy"
)

// histogram: buckets of bucketWidth from 0; the last is open-ended. cellSample: sample ids per
// requalify cell.
const (
	bucketWidth = 10
	buckets     = 11
	cellSample  = 5
)

// keepManual is the reason code of a recommendation a person's decision holds.
const keepManual = "STAGE_KEEP_MANUAL"

type cellKey struct{ stored, active, draft, outcome string }

// tally is one worker's share of a simulation; tallies are merged at the end.
type tally struct {
	leads, stage, rec, stale, outcome, changedOnly, protected, grade, temp, errs int
	firstErr                                                                     string
	matrix                                                                       map[[2]string]int
	cells                                                                        map[cellKey]*RequalifyCell
	before, after                                                                [buckets]int
	sample, protectedSample                                                      []*SimulatedLead
}

func newTally() *tally {
	return &tally{matrix: map[[2]string]int{}, cells: map[cellKey]*RequalifyCell{}}
}

// verdict is one revision's answer for one lead: its qualification and where a requalify leaves it.
type verdict struct {
	d       policy.LeadDecision
	outcome string
}

// decide is what a requalify on rev does to c: the same PlanMove as lifecycle's qualify.
func decide(ctx context.Context, rev *policy.Revision, in policy.ConvertedLeadInput, c *lifecycle.Candidate) (verdict, error) {
	d, _, err := rev.DecideConverted(ctx, in)
	if err != nil {
		return verdict{}, err
	}
	m, err := lifecycle.PlanMove(ctx, rev, c.Input.Lead, c.Stage, d, stagetransition.TriggerREQUALIFY, rev.HasStage(d.Stage))
	if err != nil {
		return verdict{}, err
	}
	v := verdict{d: d, outcome: c.Stage}
	if m.To != "" {
		v.outcome = m.To
	}
	return v, nil
}

// add decides one lead on both revisions, converting its input for evaluation once.
func (t *tally) add(ctx context.Context, active, draft *policy.Revision, c lifecycle.Candidate, sample int) {
	in := policy.ConvertLeadInput(&c.Input)
	old, err := decide(ctx, active, in, &c)
	if err == nil {
		var nd verdict
		if nd, err = decide(ctx, draft, in, &c); err == nil {
			t.record(c, old, nd, sample)
			return
		}
	}
	if ctx.Err() != nil {
		return
	}
	t.errs++
	if t.firstErr == "" {
		var ee *policy.EvalError
		if errors.As(err, &ee) {
			t.firstErr = ee.Error()
		} else {
			t.firstErr = err.Error()
		}
	}
}

func (t *tally) record(c lifecycle.Candidate, old, nd verdict, sample int) {
	t.leads++
	t.matrix[[2]string{old.d.Stage, nd.d.Stage}]++
	t.before[bucket(old.d.Score)]++
	t.after[bucket(nd.d.Score)]++
	k := cellKey{c.Stage, old.d.Stage, nd.d.Stage, nd.outcome}
	cell := t.cells[k]
	if cell == nil {
		cell = &RequalifyCell{Stored: k.stored, Active: k.active, Draft: k.draft, Outcome: k.outcome}
		t.cells[k] = cell
	}
	cell.Count++
	cell.SampleLeadIDs = keepLowest(cell.SampleLeadIDs, c.ID, cellSample)
	count := func(n *int, cond bool) bool {
		if cond {
			*n++
		}
		return cond
	}
	moves := count(&t.stage, nd.outcome != c.Stage)
	count(&t.stale, old.outcome != c.Stage)
	outcome := count(&t.outcome, nd.outcome != old.outcome)
	count(&t.changedOnly, outcome && moves)
	changed := count(&t.rec, old.d.Stage != nd.d.Stage)
	changed = count(&t.grade, old.d.Grade != nd.d.Grade) || changed
	changed = count(&t.temp, old.d.Temperature != nd.d.Temperature) || changed || moves || outcome
	protected := count(&t.protected, slices.ContainsFunc(nd.d.Reasons, func(r policy.Reason) bool { return r.Code == keepManual }))
	if !changed && !protected {
		return
	}
	l := &SimulatedLead{
		LeadID: c.ID, CurrentStage: c.Stage, ActiveOutcome: old.outcome, DraftOutcome: nd.outcome,
		OldStage: old.d.Stage, NewStage: nd.d.Stage, OldScore: old.d.Score, NewScore: nd.d.Score,
		OldGrade: old.d.Grade, NewGrade: nd.d.Grade, OldTemperature: old.d.Temperature, NewTemperature: nd.d.Temperature,
		OldReasons: reasons(old.d.Reasons), NewReasons: reasons(nd.d.Reasons),
	}
	if changed {
		t.sample = insertLowest(t.sample, l, sample)
	}
	if protected {
		t.protectedSample = insertLowest(t.protectedSample, l, sample)
	}
}

// insertLowest keeps the n lowest lead ids of s, sorted: batches arrive out of id order.
func insertLowest(s []*SimulatedLead, l *SimulatedLead, n int) []*SimulatedLead {
	if len(s) == n && l.LeadID > s[n-1].LeadID {
		return s
	}
	at, _ := slices.BinarySearchFunc(s, l.LeadID, func(x *SimulatedLead, id int) int { return x.LeadID - id })
	s = slices.Insert(s, at, l)
	return s[:min(len(s), n)]
}

func keepLowest(ids []int, id, n int) []int {
	if len(ids) == n && id > ids[n-1] {
		return ids
	}
	at, _ := slices.BinarySearch(ids, id)
	ids = slices.Insert(ids, at, id)
	return ids[:min(len(ids), n)]
}

func bucket(score int) int { return min(max(score, 0)/bucketWidth, buckets-1) }

func reasons(rs []policy.Reason) []qualtype.Reason {
	out := make([]qualtype.Reason, len(rs))
	for i, r := range rs {
		out[i] = qualtype.Reason{Code: r.Code, Message: r.Message, Points: r.Points}
	}
	return out
}

// merge adds the workers' tallies. Each keeps the lowest ids it saw, so the union of their
// samples holds the lowest ids overall.
func merge(ts []*tally, sample int) *PolicySimulation {
	out := &PolicySimulation{}
	matrix := map[[2]string]int{}
	cells := map[cellKey]*RequalifyCell{}
	var before, after [buckets]int
	for _, t := range ts {
		out.Leads += t.leads
		out.StageChanged += t.stage
		out.RecommendationChanged += t.rec
		out.AlreadyStale += t.stale
		out.OutcomeChanged += t.outcome
		out.ChangedOnlyMoves += t.changedOnly
		out.Protected += t.protected
		out.GradeChanged += t.grade
		out.TemperatureChanged += t.temp
		out.Errors += t.errs
		if out.FirstError == "" {
			out.FirstError = t.firstErr
		}
		for k, n := range t.matrix {
			matrix[k] += n
		}
		for k, c := range t.cells {
			m := cells[k]
			if m == nil {
				m = &RequalifyCell{Stored: c.Stored, Active: c.Active, Draft: c.Draft, Outcome: c.Outcome}
				cells[k] = m
			}
			m.Count += c.Count
			for _, id := range c.SampleLeadIDs {
				m.SampleLeadIDs = keepLowest(m.SampleLeadIDs, id, cellSample)
			}
		}
		for i := range buckets {
			before[i] += t.before[i]
			after[i] += t.after[i]
		}
		out.Sample = append(out.Sample, t.sample...)
		out.ProtectedSample = append(out.ProtectedSample, t.protectedSample...)
	}
	byID := func(a, b *SimulatedLead) int { return a.LeadID - b.LeadID }
	slices.SortFunc(out.Sample, byID)
	out.Sample = out.Sample[:min(len(out.Sample), sample)]
	slices.SortFunc(out.ProtectedSample, byID)
	out.ProtectedSample = out.ProtectedSample[:min(len(out.ProtectedSample), sample)]
	for k, n := range matrix {
		out.StageMatrix = append(out.StageMatrix, &StageMatrixCell{From: k[0], To: k[1], Count: n})
	}
	slices.SortFunc(out.StageMatrix, func(a, b *StageMatrixCell) int {
		return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
	})
	for _, c := range cells {
		out.RequalifyMatrix = append(out.RequalifyMatrix, c)
	}
	slices.SortFunc(out.RequalifyMatrix, func(a, b *RequalifyCell) int {
		return cmp.Or(cmp.Compare(a.Stored, b.Stored), cmp.Compare(a.Active, b.Active), cmp.Compare(a.Draft, b.Draft), cmp.Compare(a.Outcome, b.Outcome))
	})
	for i := range buckets {
		b := &ScoreBucket{Min: i * bucketWidth, Before: before[i], After: after[i]}
		if i < buckets-1 {
			hi := (i + 1) * bucketWidth
			b.Max = &hi
		}
		out.ScoreHistogram = append(out.ScoreHistogram, b)
	}
	return out
}
