// Package jobs is Qualify's background job engine: River (github.com/riverqueue/river) on the
// application's own database, so that a job is enqueued in the transaction of the change that
// calls for it, retried with backoff, run once across replicas, and resumed on another replica
// when the one running it stops.
//
// Use:
//
//	e, _ := jobs.New(db, jobs.Config{Workers: 4})
//	jobs.Register(e, &MyWorker{})             // before Start; MyWorker embeds river.WorkerDefaults[MyArgs]
//	e.AddPeriodic(time.Minute, func() (river.JobArgs, *river.InsertOpts) { return MyArgs{}, nil })
//	_ = e.Start(ctx)                           // work jobs (the app does this; the CLI does not)
//	txn.Run(ctx, client, func(ctx context.Context, tx *ent.Client) error {
//		...                                     // the change
//		_, err := e.Insert(ctx, MyArgs{...}, nil) // in the same transaction: rolled back with it
//		return err
//	})
//	_ = e.Stop(ctx)                            // running jobs stop at their next safe point
//
// A long job calls Interrupted(ctx) at its safe points (between batches whose progress it has
// committed) and returns its error when it is not nil: the job is then put back to run again
// at once, on whichever replica fetches it first.
package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/store"
)

// Config tunes the engine; zero values take the defaults.
type Config struct {
	// Workers is how many jobs this replica works at once. Zero: DefaultWorkers. Negative: none
	// (an insert-only engine, for the CLI).
	Workers int
	// PollInterval is how often an idle replica looks for jobs to work (River's database/sql
	// and SQLite drivers do not LISTEN). Zero: DefaultPollInterval.
	PollInterval time.Duration
	// RescueAfter is how long a job may stay running before it is taken for one whose replica
	// died (killed, lost host) and is made available again. Zero: DefaultRescueAfter. One
	// attempt of a job runs at most half of it: its context is then cancelled, and a job that
	// checkpoints (requalify) returns Interrupted's error and goes on in its next attempt. Such
	// a job yields on its own at a safe point once it has run a quarter of it (see Interrupted),
	// so that the cut, which loses the batch in flight, is for a stalled attempt only.
	RescueAfter time.Duration
	// MaxAttempts is how often a failing job runs before it is discarded. Zero: River's default (25).
	MaxAttempts int
	Logger      *slog.Logger
}

// Defaults of Config.
const (
	DefaultWorkers      = 4
	DefaultPollInterval = time.Second
	DefaultRescueAfter  = time.Hour
)

// Engine is the job engine of one replica.
type Engine struct {
	db       *store.DB
	cfg      Config
	workers  *river.Workers
	client   *river.Client[*sql.Tx]
	periodic []*river.PeriodicJob
	metrics  *metrics
	log      *slog.Logger

	mu       sync.Mutex
	started  bool
	stopping chan struct{} // closed when Stop begins: running jobs stop at their next safe point
	events   func()        // ends the event subscription of the metrics
}

// New makes an engine on db (migrated: store.Migrate applies River's migrations with ours).
func New(db *store.DB, cfg Config) (*Engine, error) {
	if cfg.Workers == 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.RescueAfter <= 0 {
		cfg.RescueAfter = DefaultRescueAfter
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	e := &Engine{db: db, cfg: cfg, log: cfg.Logger, stopping: make(chan struct{}), metrics: newMetrics(db)}
	rc := &river.Config{
		Logger:               cfg.Logger,
		MaxAttempts:          cfg.MaxAttempts,
		FetchPollInterval:    cfg.PollInterval,
		FetchCooldown:        min(100*time.Millisecond, cfg.PollInterval),
		PollOnly:             true,
		RescueStuckJobsAfter: cfg.RescueAfter,
		// River rescues only jobs with a timeout; River's default minute would cut a long
		// requalify far too often.
		JobTimeout: cfg.RescueAfter / 2,
		Middleware: []rivertype.Middleware{safePoints{e}},
	}
	if cfg.Workers > 0 {
		e.workers = river.NewWorkers()
		rc.Workers = e.workers
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}}
	}
	client, err := river.NewClient(db.RiverDriver(), rc)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	e.client = client
	return e, nil
}

// Register adds the worker of a job kind. Call it before Start; an engine without workers
// (Config.Workers < 0) ignores it.
func Register[T river.JobArgs](e *Engine, w river.Worker[T]) {
	if e.workers != nil {
		river.AddWorker(e.workers, w)
	}
}

// AddPeriodic runs the job that construct returns every interval, on the elected leader
// replica only. Use unique insert options (ByPeriod) to make a run idempotent across replicas.
func (e *Engine) AddPeriodic(interval time.Duration, construct func() (river.JobArgs, *river.InsertOpts)) {
	p := river.NewPeriodicJob(river.PeriodicInterval(interval), construct, nil)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.started {
		e.client.PeriodicJobs().Add(p)
		return
	}
	e.periodic = append(e.periodic, p)
}

// Client is River's client, for what this package does not wrap.
func (e *Engine) Client() *river.Client[*sql.Tx] { return e.client }

// Start works jobs until Stop. An engine without workers does not start.
func (e *Engine) Start(ctx context.Context) error {
	if e.workers == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	select {
	case <-e.stopping:
		// Stopped before it started (the app starts its engine in the background; a shutdown
		// or a test may come first): starting now would work jobs nobody will stop.
		return nil
	default:
	}
	e.started = true
	for _, p := range e.periodic {
		e.client.PeriodicJobs().Add(p)
	}
	e.periodic = nil
	events, cancel := e.client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed,
		river.EventKindJobCancelled, river.EventKindJobSnoozed)
	e.events = cancel
	go e.metrics.follow(events)
	// River's own context must outlive ctx's cancellation: stopping is Stop's business, so that
	// a SIGTERM lets running jobs reach their safe point instead of cutting them.
	return e.client.Start(context.WithoutCancel(ctx))
}

// Stop stops fetching jobs and asks the running ones to stop at their next safe point
// (Interrupted), waiting for them until ctx ends; then their contexts are cancelled, and Stop
// waits for them to return. A job interrupted either way runs again on another replica.
func (e *Engine) Stop(ctx context.Context) error {
	e.mu.Lock()
	started := e.started
	select {
	case <-e.stopping:
	default:
		close(e.stopping)
	}
	e.mu.Unlock()
	if !started {
		return nil
	}
	defer func() {
		if e.events != nil {
			e.events()
		}
	}()
	err := e.client.Stop(ctx)
	if err == nil {
		return nil
	}
	e.log.Warn("jobs: soft stop timed out; cancelling the running jobs", "err", err)
	hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return e.client.StopAndCancel(hard)
}

// Stopped is closed once the engine has stopped working jobs.
func (e *Engine) Stopped() <-chan struct{} { return e.client.Stopped() }

// Insert enqueues a job. Inside a transaction of txn.Run (ctx carries its ent.Tx) the job is
// written in that transaction: it exists only if the transaction commits, and no worker sees it
// before. Outside one it is committed at once.
func (e *Engine) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	if tx := ent.TxFromContext(ctx); tx != nil {
		stx := store.SQLTx(tx)
		if stx == nil {
			return nil, errors.New("jobs: the transaction in ctx is not one of a store client")
		}
		return e.client.InsertTx(ctx, stx, args, opts)
	}
	return e.client.Insert(ctx, args, opts)
}

// InTx runs fn with the database/sql transaction of the ent transaction in ctx, for River's
// *Tx calls (JobUpdateTx, JobGetTx...). It fails without one.
func InTx(ctx context.Context) (*sql.Tx, error) {
	tx := ent.TxFromContext(ctx)
	if tx == nil {
		return nil, errors.New("jobs: no transaction in ctx")
	}
	stx := store.SQLTx(tx)
	if stx == nil {
		return nil, errors.New("jobs: the transaction in ctx is not one of a store client")
	}
	return stx, nil
}

// ErrCancelled is what a job cancelled while it ran returns from Interrupted (wrapped in
// River's cancel), so that it is not retried.
var ErrCancelled = errors.New("cancelled on request")

// resumeDelay is how soon an interrupted job is available again.
const resumeDelay = 100 * time.Millisecond

// Interrupted returns nil while the job may go on, and else the error the worker must return:
// its replica is stopping (or its context ended), or the attempt has used its time slice, so
// the job is put back to run again at once (here or elsewhere); or the job was cancelled
// (Cancel), so it ends cancelled (errors.Is ErrCancelled). Call it at safe points only: with
// the work done so far committed. It reads the job's row once (River's database/sql and
// SQLite drivers cannot signal a cancel to the running job).
//
// The slice ends an attempt well before the engine's hard cut (Config.RescueAfter), which
// would roll back the work in flight: an attempt slower than the cut on a loaded machine would
// otherwise start over and over without committing anything. The first safe point of an
// attempt never yields for time, so that every attempt commits some work.
func Interrupted(ctx context.Context) error {
	if err := Stopping(ctx); err != nil {
		return err
	}
	jc, _ := ctx.Value(jobKey{}).(*jobCtx)
	if jc == nil {
		return nil
	}
	jc.safePoints++
	if jc.safePoints > 1 && time.Now().After(jc.yieldAt) {
		return river.JobSnooze(0)
	}
	row, err := jc.e.client.JobGet(ctx, jc.id)
	if err != nil {
		return nil // the next safe point asks again; the work itself reports a lost database
	}
	var meta struct {
		CancelAttemptedAt *time.Time `json:"cancel_attempted_at"`
	}
	if json.Unmarshal(row.Metadata, &meta) == nil && meta.CancelAttemptedAt != nil {
		return river.JobCancel(ErrCancelled)
	}
	return nil
}

// Progress stores v as the running job id's progress (River's job output, shown by List and
// the API), in the transaction of ctx: with the work it reports.
func (e *Engine) Progress(ctx context.Context, id int64, v any) error {
	stx, err := InTx(ctx)
	if err != nil {
		return err
	}
	_, err = e.client.JobUpdateTx(ctx, stx, id, &river.JobUpdateParams{Output: v})
	return err
}

// Stopping returns the error a worker returns when its replica is stopping or its context
// ended (the engine's cut): the job is put back to run again at once, here or elsewhere. A
// worker whose work failed asks it to tell an interruption from a failure, which is retried
// with backoff.
func Stopping(ctx context.Context) error {
	if jc, _ := ctx.Value(jobKey{}).(*jobCtx); jc != nil {
		select {
		case <-jc.stopping:
			return river.JobSnooze(resumeDelay)
		default:
		}
	}
	if ctx.Err() != nil {
		return river.JobSnooze(resumeDelay)
	}
	return nil
}

type jobKey struct{}

// jobCtx is what Interrupted needs of the running job. One goroutine works a job, so it
// needs no lock.
type jobCtx struct {
	e          *Engine
	id         int64
	stopping   chan struct{}
	yieldAt    time.Time // the end of the attempt's time slice
	safePoints int       // Interrupted calls so far in this attempt
}

// safePoints hands each job its engine and id, for Interrupted, and times it.
type safePoints struct{ e *Engine }

func (safePoints) IsMiddleware() bool { return true }

func (s safePoints) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	start := time.Now()
	jc := &jobCtx{e: s.e, id: job.ID, stopping: s.e.stopping, yieldAt: start.Add(s.e.cfg.RescueAfter / 4)}
	err := doInner(context.WithValue(ctx, jobKey{}, jc))
	s.e.metrics.ran(job.Kind, time.Since(start))
	return err
}
