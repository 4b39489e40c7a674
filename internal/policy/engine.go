package policy

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Guard may veto a verified revision before it goes live, e.g. one that drops a stage still
// holding leads. It is implemented where the database is.
type Guard interface {
	CheckActivation(ctx context.Context, rev *Revision) error
}

// GuardFunc adapts a function to Guard.
type GuardFunc func(ctx context.Context, rev *Revision) error

// CheckActivation calls f.
func (f GuardFunc) CheckActivation(ctx context.Context, rev *Revision) error { return f(ctx, rev) }

// Recorder is told about every revision the engine loads and every change of its status, to keep
// the revision history (content-addressed by Hash). Errors are logged; they do not stop serving.
type Recorder interface {
	RecordRevision(ctx context.Context, rec RevisionRecord) error
}

// RecorderFunc adapts a function to Recorder.
type RecorderFunc func(ctx context.Context, rec RevisionRecord) error

// RecordRevision calls f.
func (f RecorderFunc) RecordRevision(ctx context.Context, rec RevisionRecord) error {
	return f(ctx, rec)
}

// Status of a revision in its history.
type Status string

const (
	StatusActive     Status = "active"
	StatusSuperseded Status = "superseded" // was active, another revision took over
	StatusRefused    Status = "refused"    // failed verification or the Guard
)

// RevisionRecord is one entry of the revision history. A revision is identified by its Hash
// (which covers .manifest and so Revision as well); recording the same Hash again updates it.
type RevisionRecord struct {
	Revision  string
	Hash      string
	Files     Files
	Source    string
	LoadedAt  time.Time // when it was read and verified
	Status    Status
	ChangedAt time.Time // when it took this status
	Problems  []Problem // why it was refused
}

// RefusedError is what Load returns when it does not activate a bundle.
type RefusedError struct {
	Revision string
	Hash     string
	Report   *Report
}

func (e *RefusedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "policy revision %q (%s) refused", e.Revision, shortHash(e.Hash))
	if ps := e.Report.Problems; len(ps) > 0 {
		b.WriteString(": " + ps[0].String())
		if len(ps) > 1 {
			fmt.Fprintf(&b, " (and %d more)", len(ps)-1)
		}
	}
	return b.String()
}

// DefaultEvalTimeout bounds one decision when Options.EvalTimeout is zero: the server's deadline,
// so that every engine (server, CLI publish, simulate, requalify) judges a policy alike.
const DefaultEvalTimeout = time.Second

// Options configure an Engine. The zero value is usable.
type Options struct {
	Guard    Guard
	Recorder Recorder
	Logger   *slog.Logger // default slog.Default()
	// EvalTimeout bounds one decision; default DefaultEvalTimeout.
	EvalTimeout time.Duration
	// TestTimeout bounds one _test.rego test during verification; default 5s.
	TestTimeout time.Duration
	// Clock stamps LoadedAt and ChangedAt; default time.Now.
	Clock func() time.Time
	// Registerer receives the engine's metrics: activations, refusals and the active revision,
	// and the plan evaluator's counters (fallbacks to topdown, shadow checks, demotions); nil
	// leaves them unregistered.
	Registerer prometheus.Registerer
	// ShadowRate is the share of live decisions answered by the plan evaluator that topdown
	// re-evaluates in the background (shadow.go); default 0.001, negative for none.
	ShadowRate float64
	// ShadowQueue bounds the answers waiting for their shadow check; default 64.
	ShadowQueue int
	// Verified, when set, is shared with the process's other engines: a bundle verified by
	// any of them under the same limits is not verified again.
	Verified *VerifiedCache
}

// ActivateFunc runs as a revision goes live, before decisions use it (prev is nil the first time).
type ActivateFunc func(ctx context.Context, rev, prev *Revision) error

// Engine serves decisions on the active revision and swaps it atomically. A decision loads the
// active pointer once, so a decision in flight finishes on the revision it started with.
type Engine struct {
	active      atomic.Pointer[Revision]
	lastRefused atomic.Pointer[RevisionRecord]

	mu         sync.Mutex // serialises Load, so Guard, Recorder and hooks see one change at a time
	onActivate []ActivateFunc

	guard    Guard
	recorder Recorder
	log      *slog.Logger
	clock    func() time.Time
	cfg      verifyConfig
	metrics  *activationMetrics
}

// New returns an Engine with no active revision; decisions fail with ErrNoActivePolicy until a
// Load succeeds.
func New(opts Options) *Engine {
	e := &Engine{
		guard:    opts.Guard,
		recorder: opts.Recorder,
		log:      opts.Logger,
		clock:    opts.Clock,
		cfg:      verifyConfig{evalTimeout: opts.EvalTimeout, testTimeout: opts.TestTimeout, last: &lastVerified{}, shared: opts.Verified, busy: newBusy()},
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	if e.clock == nil {
		e.clock = time.Now
	}
	if e.cfg.evalTimeout <= 0 {
		e.cfg.evalTimeout = DefaultEvalTimeout
	}
	if e.cfg.testTimeout <= 0 {
		e.cfg.testTimeout = 5 * time.Second
	}
	if opts.ShadowRate == 0 {
		opts.ShadowRate = 0.001
	}
	if opts.ShadowQueue <= 0 {
		opts.ShadowQueue = 64
	}
	e.cfg.log, e.cfg.metrics = e.log, newPlanMetrics(opts.Registerer)
	e.metrics = newActivationMetrics(opts.Registerer)
	e.cfg.shadow = newShadow(opts.ShadowRate, opts.ShadowQueue, e.cfg.metrics)
	return e
}

// OnActivate registers f to run on each activation, just before decisions switch to the new
// revision, in registration order, e.g. to sync the
// Stage table or update metrics. Register hooks before the first Load. Errors are logged.
func (e *Engine) OnActivate(f ActivateFunc) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.onActivate = append(e.onActivate, f)
}

// Active returns the active revision, nil before the first successful Load.
func (e *Engine) Active() *Revision { return e.active.Load() }

// LastRefused returns the most recently refused revision, if any.
func (e *Engine) LastRefused() (RevisionRecord, bool) {
	if r := e.lastRefused.Load(); r != nil {
		return *r, true
	}
	return RevisionRecord{}, false
}

// Verify runs the whole pipeline on files without activating anything: a draft's validation,
// and the revision it returns (nil unless the report is OK) can make decisions for simulations.
func (e *Engine) Verify(ctx context.Context, files Files) (*Revision, *Report) {
	return verify(ctx, files, "", e.clock(), e.cfg, stepAll)
}

// Test reads, compiles and runs the tests of files, measuring their coverage, without the later steps.
func (e *Engine) Test(ctx context.Context, files Files) *Report {
	_, rep := verify(ctx, files, "", e.clock(), e.cfg, stepTestsCovered)
	return rep
}

// Load verifies files, asks the Guard, and activates them. Loading the active content again does
// nothing. On any failure the active revision keeps serving, the refusal is recorded and logged,
// and a *RefusedError carrying the report is returned. If ctx ends first, Load returns ctx.Err()
// and records nothing.
func (e *Engine) Load(ctx context.Context, files Files, source string) (*Revision, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	prev := e.active.Load()
	if prev != nil && prev.hash == files.Hash() {
		return prev, nil
	}
	loadedAt := e.clock()
	rev, rep := verify(ctx, files, source, loadedAt, e.cfg, stepAll)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if rev != nil && e.guard != nil {
		if err := guarded(func() error { return e.guard.CheckActivation(ctx, rev) }); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			rep.add(Problem{Message: "activation refused: " + err.Error()})
			rev = nil
		}
	}
	if rev == nil {
		return nil, e.refuse(ctx, files, source, loadedAt, rep)
	}

	// The history and the hooks (the Stage table) are brought up to date before decisions see the
	// new revision, so nothing can observe a live revision that is not recorded, or a
	// recommended stage that is not in the table yet.
	now := e.clock()
	if prev != nil {
		e.record(ctx, recordOf(prev, StatusSuperseded, now))
	}
	e.record(ctx, recordOf(rev, StatusActive, now))
	for _, f := range e.onActivate {
		if err := guarded(func() error { return f(ctx, rev, prev) }); err != nil {
			e.log.Error("policy activation hook failed", "revision", rev.id, "hash", shortHash(rev.hash), "err", err)
		}
	}
	e.active.Store(rev)
	e.metrics.activated(rev)
	rev.startProbe()
	if prev != nil {
		prev.stopProbe() // its plans are of no use any more: save the CPU for the new one
	}
	for query, why := range rev.planNotes {
		e.log.Warn("policy query served by the topdown interpreter", "revision", rev.id, "query", query, "why", why)
	}
	e.log.Info("policy activated", "revision", rev.id, "hash", shortHash(rev.hash), "source", source,
		"tests", len(rep.Tests), "stages", len(rev.stages), "took", rep.Duration)
	return rev, nil
}

// guarded runs f, a Guard or a hook, turning a panic into an error: nothing a policy load calls
// may take the process down.
func guarded(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panicked: %v", p)
		}
	}()
	return f()
}

func (e *Engine) refuse(ctx context.Context, files Files, source string, loadedAt time.Time, rep *Report) error {
	rec := RevisionRecord{
		Revision: rep.Revision, Hash: files.Hash(), Files: files, Source: source,
		LoadedAt: loadedAt, Status: StatusRefused, ChangedAt: e.clock(), Problems: rep.Problems,
	}
	e.lastRefused.Store(&rec)
	e.metrics.refused(source)
	attrs := []any{"revision", rep.Revision, "hash", shortHash(rec.Hash), "source", source, "problems", len(rep.Problems)}
	for i, p := range rep.Problems {
		if i == 5 {
			break
		}
		attrs = append(attrs, fmt.Sprintf("problem%d", i+1), p.String())
	}
	if active := e.active.Load(); active != nil {
		attrs = append(attrs, "still_serving", active.id+" "+shortHash(active.hash))
	}
	e.log.Warn("policy refused", attrs...)
	e.record(ctx, rec)
	return &RefusedError{Revision: rep.Revision, Hash: rec.Hash, Report: rep}
}

func (e *Engine) record(ctx context.Context, rec RevisionRecord) {
	if e.recorder == nil {
		return
	}
	if err := e.recorder.RecordRevision(ctx, rec); err != nil {
		e.log.Error("policy revision not recorded", "revision", rec.Revision, "hash", shortHash(rec.Hash), "status", rec.Status, "err", err)
	}
}

func recordOf(r *Revision, s Status, at time.Time) RevisionRecord {
	return RevisionRecord{
		Revision: r.id, Hash: r.hash, Files: r.files, Source: r.source,
		LoadedAt: r.loadedAt, Status: s, ChangedAt: at, Problems: []Problem{},
	}
}
