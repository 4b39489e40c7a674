package policyadmin

import (
	"context"
	"errors"
	"runtime"
	"slices"
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

// PolicySimulation is what a draft would change across the stored leads, compared with the
// active revision evaluated on the same facts at the same moment (not with the stored fields,
// which may be stale).
type PolicySimulation struct {
	ActiveRevision     string             `json:"activeRevision"`
	DraftRevision      string             `json:"draftRevision"`
	DraftHash          string             `json:"draftHash"`
	Leads              int                `json:"leads"`
	StageChanged       int                `json:"stageChanged"`
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

// SimulatedLead is one lead whose recommendation the draft changes.
type SimulatedLead struct {
	LeadID         int               `json:"leadId"`
	CurrentStage   string            `json:"currentStage"`
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

// histogram: buckets of bucketWidth from 0; the last is open-ended.
const (
	bucketWidth = 10
	buckets     = 11
)

// tally is one worker's share of a simulation; tallies are merged at the end.
type tally struct {
	leads, stage, grade, temp, errs int
	firstErr                        string
	matrix                          map[[2]string]int
	before, after                   [buckets]int
	sample                          []*SimulatedLead
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
		t := &tally{matrix: map[[2]string]int{}}
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

// add decides one lead on both revisions, converting its input for evaluation once.
func (t *tally) add(ctx context.Context, active, draft *policy.Revision, c lifecycle.Candidate, sample int) {
	in := policy.ConvertLeadInput(&c.Input)
	old, _, err := active.DecideConverted(ctx, in)
	if err == nil {
		var nd policy.LeadDecision
		nd, _, err = draft.DecideConverted(ctx, in)
		if err == nil {
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

func (t *tally) record(c lifecycle.Candidate, old, nd policy.LeadDecision, sample int) {
	t.leads++
	t.matrix[[2]string{old.Stage, nd.Stage}]++
	t.before[bucket(old.Score)]++
	t.after[bucket(nd.Score)]++
	changed := false
	if old.Stage != nd.Stage {
		t.stage++
		changed = true
	}
	if old.Grade != nd.Grade {
		t.grade++
		changed = true
	}
	if old.Temperature != nd.Temperature {
		t.temp++
		changed = true
	}
	// Batches arrive out of id order (readers run in parallel): keep the lowest ids seen, sorted.
	if !changed || (len(t.sample) == sample && c.ID > t.sample[sample-1].LeadID) {
		return
	}
	at, _ := slices.BinarySearchFunc(t.sample, c.ID, func(s *SimulatedLead, id int) int { return s.LeadID - id })
	t.sample = slices.Insert(t.sample, at, &SimulatedLead{
		LeadID: c.ID, CurrentStage: c.Stage, OldStage: old.Stage, NewStage: nd.Stage,
		OldScore: old.Score, NewScore: nd.Score, OldGrade: old.Grade, NewGrade: nd.Grade,
		OldTemperature: old.Temperature, NewTemperature: nd.Temperature,
		OldReasons: reasons(old.Reasons), NewReasons: reasons(nd.Reasons),
	})
	t.sample = t.sample[:min(len(t.sample), sample)]
}

func bucket(score int) int { return min(max(score, 0)/bucketWidth, buckets-1) }

func reasons(rs []policy.Reason) []qualtype.Reason {
	out := make([]qualtype.Reason, len(rs))
	for i, r := range rs {
		out[i] = qualtype.Reason{Code: r.Code, Message: r.Message, Points: r.Points}
	}
	return out
}

// merge adds the workers' tallies. Each keeps the lowest changed ids it saw, so the union of
// their samples holds the lowest ids overall.
func merge(ts []*tally, sample int) *PolicySimulation {
	out := &PolicySimulation{}
	matrix := map[[2]string]int{}
	var before, after [buckets]int
	for _, t := range ts {
		out.Leads += t.leads
		out.StageChanged += t.stage
		out.GradeChanged += t.grade
		out.TemperatureChanged += t.temp
		out.Errors += t.errs
		if out.FirstError == "" {
			out.FirstError = t.firstErr
		}
		for k, n := range t.matrix {
			matrix[k] += n
		}
		for i := range buckets {
			before[i] += t.before[i]
			after[i] += t.after[i]
		}
		out.Sample = append(out.Sample, t.sample...)
	}
	slices.SortFunc(out.Sample, func(a, b *SimulatedLead) int { return a.LeadID - b.LeadID })
	out.Sample = out.Sample[:min(len(out.Sample), sample)]
	for k, n := range matrix {
		out.StageMatrix = append(out.StageMatrix, &StageMatrixCell{From: k[0], To: k[1], Count: n})
	}
	slices.SortFunc(out.StageMatrix, func(a, b *StageMatrixCell) int {
		if a.From != b.From {
			return cmpString(a.From, b.From)
		}
		return cmpString(a.To, b.To)
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

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
