package policyadmin

import (
	"context"
	"runtime"
	"sync"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/schema/qualtype"
	"github.com/qualify/qualify/internal/lifecycle"
	"github.com/qualify/qualify/internal/policy"
)

// SimulateOptions narrow and tune a simulation. The zero value simulates every lead.
type SimulateOptions struct {
	Where *ent.LeadWhereInput
	// Sample is how many changed leads to return (lowest ids first); default 20, at most 200.
	Sample int
	// Batch is how many leads are loaded per query round; default 500.
	Batch int
	// Workers evaluating decisions; default GOMAXPROCS.
	Workers int
	// Readers loading batches of facts; default GOMAXPROCS. They spend much of their time
	// waiting for the database, so they share the cores with the workers.
	Readers int
	// Progress, if set, is called after each evaluated batch (serialized).
	Progress func(done, total int)
}

// PolicySimulation is what a draft would change across the stored leads. Per lead it holds
// three stages: the stored one, the one the active revision recommends and the one the draft
// recommends, and what a requalify under the draft would do from the stored stage (the same
// PlanMove a requalify runs, transition policy included). StageChanged is that requalify's moves;
// RecommendationChanged the leads whose recommendation differs between the two revisions.
type PolicySimulation struct {
	ActiveRevision string `json:"activeRevision"`
	DraftRevision  string `json:"draftRevision"`
	DraftHash      string `json:"draftHash"`
	Leads          int    `json:"leads"`
	// StageChanged counts the leads a requalify under the draft would move.
	StageChanged int `json:"stageChanged"`
	// RecommendationChanged counts the leads whose recommended stage the draft changes.
	RecommendationChanged int `json:"recommendationChanged"`
	// AlreadyStale counts the leads a requalify under the active revision would move: their
	// stored stage already disagrees with the unchanged policy.
	AlreadyStale int `json:"alreadyStale"`
	// OutcomeChanged counts the leads whose requalify outcome the draft changes (the stage after
	// a requalify under the draft differs from that under the active revision).
	OutcomeChanged int `json:"outcomeChanged"`
	// ChangedOnlyMoves counts the moves of a requalify limited to those leads
	// (requalifyLeads with onlyChangedFrom the active revision).
	ChangedOnlyMoves int `json:"changedOnlyMoves"`
	// Protected counts the leads a person's decision holds (STAGE_KEEP_MANUAL under the draft)
	// where the evidence says another stage; ProtectedSample lists the lowest ids.
	Protected       int              `json:"protected"`
	ProtectedSample []*SimulatedLead `json:"protectedSample"`
	// RequalifyMatrix counts the leads per (stored, active, draft, outcome) with sample ids.
	RequalifyMatrix    []*RequalifyCell   `json:"requalifyMatrix"`
	GradeChanged       int                `json:"gradeChanged"`
	TemperatureChanged int                `json:"temperatureChanged"`
	Errors             int                `json:"errors"`
	FirstError         string             `json:"firstError"`
	StageMatrix        []*StageMatrixCell `json:"stageMatrix"`
	Funnel             []*ProjectedStage  `json:"funnel"`
	MqlToSqlNow        *float64           `json:"mqlToSqlNow"`
	MqlToSqlDraft      *float64           `json:"mqlToSqlDraft"`
	ScoreHistogram     []*ScoreBucket     `json:"scoreHistogram"`
	Sample             []*SimulatedLead   `json:"sample"`
	DurationMs         float64            `json:"durationMs"`
}

// StageMatrixCell counts the leads recommended From under the active revision and To under the
// draft.
type StageMatrixCell struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Count int    `json:"count"`
}

// ProjectedStage is reached(stage) under the active revision and under the draft: leads whose
// recommended stage is this one or, for funnel stages (open, won), a later funnel stage.
type ProjectedStage struct {
	Stage        string `json:"stage"`
	Kind         string `json:"kind"`
	ReachedNow   int    `json:"reachedNow"`
	ReachedDraft int    `json:"reachedDraft"`
}

// ScoreBucket counts total scores in [Min, Max) before and after; Max is nil for the last.
type ScoreBucket struct {
	Min    int  `json:"min"`
	Max    *int `json:"max"`
	Before int  `json:"before"`
	After  int  `json:"after"`
}

// RequalifyCell counts the leads at Stored whose recommendation is Active under the active
// revision and Draft under the draft, and which a requalify under the draft leaves at Outcome.
type RequalifyCell struct {
	Stored  string `json:"stored"`
	Active  string `json:"active"`
	Draft   string `json:"draft"`
	Outcome string `json:"outcome"`
	Count   int    `json:"count"`
	// SampleLeadIDs are the lowest ids of the cell, at most cellSample.
	SampleLeadIDs []int `json:"sampleLeadIds"`
}

// SimulatedLead is one lead whose recommendation, grade, temperature or requalify outcome the
// draft changes.
type SimulatedLead struct {
	LeadID       int    `json:"leadId"`
	CurrentStage string `json:"currentStage"`
	// ActiveOutcome and DraftOutcome are the stages after a requalify under each revision.
	ActiveOutcome  string            `json:"activeOutcome"`
	DraftOutcome   string            `json:"draftOutcome"`
	OldStage       string            `json:"oldStage"`
	NewStage       string            `json:"newStage"`
	OldScore       int               `json:"oldScore"`
	NewScore       int               `json:"newScore"`
	OldGrade       string            `json:"oldGrade"`
	NewGrade       string            `json:"newGrade"`
	OldTemperature string            `json:"oldTemperature"`
	NewTemperature string            `json:"newTemperature"`
	OldReasons     []qualtype.Reason `json:"oldReasons"`
	NewReasons     []qualtype.Reason `json:"newReasons"`
}

// Simulate evaluates the draft and the active revision on every lead matching opts.Where and
// reports the difference. Leads are streamed in batches (bounded memory: a few batches in
// flight) and decided on opts.Workers goroutines. Nothing is written.
//
// It stops when ctx ends: over GraphQL that is the client going away or the server's request
// timeout, which this operation shares with every other (see TooSlowError). When ctx has a
// deadline that the run will clearly miss, it stops as soon as its pace shows it, rather than
// spending the server's cores until the deadline on an answer nobody will get.
func (s *Service) Simulate(ctx context.Context, d PolicyDraftInput, opts SimulateOptions) (*PolicySimulation, error) {
	draft, err := s.verified(ctx, d)
	if err != nil {
		return nil, err
	}
	active, err := activeOrFail(s.cfg.Engine)
	if err != nil {
		return nil, err
	}
	if deadline, ok := ctx.Deadline(); ok && opts.Progress == nil {
		var cancel context.CancelCauseFunc
		ctx, cancel = context.WithCancelCause(ctx)
		defer cancel(nil)
		opts.Progress = paceCheck(time.Now(), deadline, cancel)
	}
	return Compare(ctx, s.cfg.Lifecycle, active, draft, opts)
}

// paceCheck is a progress callback that cancels with a *TooSlowError once the pace of the first
// second (or first 2,000 leads) projects a finish well past deadline. The slack absorbs the
// pace's swings on busy cores: a run that may just make it is let run.
func paceCheck(start, deadline time.Time, cancel context.CancelCauseFunc) func(done, total int) {
	return func(done, total int) {
		elapsed := time.Since(start)
		if done == 0 || (elapsed < time.Second && done < 2000) {
			return
		}
		projected := time.Duration(float64(elapsed) * float64(total) / float64(done))
		if allowed := deadline.Sub(start); projected > allowed+allowed/4 {
			cancel(&TooSlowError{Leads: total, Projected: projected, Allowed: allowed})
		}
	}
}

// Compare runs a simulation of draft against active over the leads of lc. It is a pipeline of
// three stages joined by bounded channels: one goroutine pages through the matching ids (index
// only), opts.Readers load the pages' facts, opts.Workers decide them. At most a few batches are
// in memory, loading overlaps deciding (and database round trips), and the first error or the
// end of ctx stops every stage.
func Compare(ctx context.Context, lc *lifecycle.Service, active, draft *policy.Revision, opts SimulateOptions) (*PolicySimulation, error) {
	start := time.Now()
	opts = withDefaults(opts)
	total := 0
	if opts.Progress != nil {
		var err error
		if total, err = lc.CountLeads(ctx, opts.Where); err != nil {
			return nil, err
		}
	}
	facts, err := lc.NewFactsReader(ctx)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	pages := make(chan []int, opts.Readers)
	batches := make(chan []lifecycle.Candidate, opts.Workers)
	var pager, readers, workers sync.WaitGroup
	pager.Go(func() {
		defer close(pages)
		if err := lc.PageLeadIDs(ctx, opts.Where, opts.Batch, func(ids []int) error { return send(ctx, pages, ids) }); err != nil {
			cancel(err)
		}
	})
	for range opts.Readers {
		readers.Go(func() {
			for ids := range pages {
				b, err := facts.Load(ctx, ids)
				if err != nil {
					cancel(err)
					return
				}
				if send(ctx, batches, b) != nil {
					return
				}
			}
		})
	}
	tallies := make([]*tally, opts.Workers)
	var (
		pmu  sync.Mutex
		done int
	)
	for w := range opts.Workers {
		t := newTally()
		tallies[w] = t
		workers.Go(func() {
			for b := range batches {
				for _, c := range b {
					if ctx.Err() != nil {
						break // drain: the senders stop on ctx too
					}
					t.add(ctx, active, draft, c, opts.Sample)
				}
				if opts.Progress != nil && ctx.Err() == nil {
					pmu.Lock()
					done += len(b)
					opts.Progress(done, total)
					pmu.Unlock()
				}
			}
		})
	}
	readers.Wait()
	close(batches)
	workers.Wait()
	pager.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	out := merge(tallies, opts.Sample)
	out.ActiveRevision, out.DraftRevision, out.DraftHash = active.ID(), draft.ID(), draft.Hash()
	out.Funnel, out.MqlToSqlNow, out.MqlToSqlDraft = project(tallies, active.Stages(), draft.Stages())
	out.DurationMs = ms(time.Since(start))
	return out, nil
}

// send passes v on unless ctx ends first.
func send[T any](ctx context.Context, ch chan<- T, v T) error {
	select {
	case ch <- v:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func withDefaults(o SimulateOptions) SimulateOptions {
	if o.Sample <= 0 {
		o.Sample = 20
	}
	o.Sample = min(o.Sample, 200)
	if o.Batch <= 0 {
		o.Batch = 500
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Readers <= 0 {
		o.Readers = runtime.GOMAXPROCS(0)
	}
	return o
}
