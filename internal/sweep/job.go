package sweep

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/qualify/qualify/internal/jobs"
)

// Args is the periodic sweep job. It has no arguments: a run reviews what is due when it starts.
type Args struct{}

// Kind names the job in River's table and in `qualify jobs`.
func (Args) Kind() string { return "schedule_sweep" }

// Worker runs a sweep per job.
type Worker struct {
	river.WorkerDefaults[Args]
	s *Sweeper
}

// Work sweeps; between batches it stops at the engine's safe points (jobs.Interrupted), and the
// rest is swept by the next run.
func (w *Worker) Work(ctx context.Context, _ *river.Job[Args]) error {
	st, err := w.s.Run(ctx, jobs.Interrupted)
	if err == nil {
		w.s.log.Info("schedule: sweep done", "batches", st.Batches, "reviewed", st.Reviewed, "rescored", st.Rescored,
			"moved", st.Moved, "escalated", st.Escalated, "failed", st.Failed, "more", st.More)
	}
	return err
}

// Schedule registers the sweep with the job engine as a periodic job of the leader replica,
// unique per interval so that a change of leader does not enqueue a run twice. An interval < 0
// registers nothing.
func Schedule(e *jobs.Engine, s *Sweeper) {
	if s.cfg.Interval < 0 {
		return
	}
	jobs.Register(e, &Worker{s: s})
	e.AddPeriodic(s.cfg.Interval, func() (river.JobArgs, *river.InsertOpts) {
		// River refuses a unique period under a second (and then enqueues nothing at all).
		return Args{}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: max(s.cfg.Interval, time.Second)}}
	})
}
