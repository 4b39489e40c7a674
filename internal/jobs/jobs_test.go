package jobs_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/user"
	"github.com/qualify/qualify/internal/jobs"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
	"github.com/qualify/qualify/internal/txn"
)

type noteArgs struct{ N int }

func (noteArgs) Kind() string { return "test_note" }

type noteWorker struct {
	river.WorkerDefaults[noteArgs]
	done atomic.Int64
	fail atomic.Bool
}

func (w *noteWorker) Work(ctx context.Context, j *river.Job[noteArgs]) error {
	if w.fail.Load() {
		return errors.New("told to fail")
	}
	w.done.Add(int64(j.Args.N))
	return nil
}

func engine(t *testing.T, db *store.DB, w *noteWorker) *jobs.Engine {
	t.Helper()
	e, err := jobs.New(db, jobs.Config{PollInterval: 50 * time.Millisecond, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	jobs.Register(e, w)
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
	})
	return e
}

func waitState(t *testing.T, e *jobs.Engine, id int64, want rivertype.JobState) *rivertype.JobRow {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		j, err := e.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if j.State == want {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d is %s after 30 s, want %s", id, j.State, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A job inserted in a transaction exists only if that transaction commits: rolled back with
// the change, worked after the commit.
func TestInsertInTransaction(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		w := &noteWorker{}
		e := engine(t, db, w)
		ctx := context.Background()
		boom := errors.New("the change failed")
		err := txn.Run(ctx, db.Client, func(ctx context.Context, tx *ent.Client) error {
			if _, err := tx.User.Create().SetName("rolled back").SetEmail("rb@example.com").SetRole(user.RoleBDR).Save(ctx); err != nil {
				return err
			}
			if _, err := e.Insert(ctx, noteArgs{N: 100}, nil); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		rows, _, err := e.List(ctx, jobs.Filter{Kinds: []string{"test_note"}})
		if err != nil || len(rows) != 0 {
			t.Fatalf("after the rollback: %d jobs (%v)", len(rows), err)
		}
		var id int64
		err = txn.Run(ctx, db.Client, func(ctx context.Context, tx *ent.Client) error {
			res, err := e.Insert(ctx, noteArgs{N: 1}, nil)
			if err == nil {
				id = res.Job.ID
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		waitState(t, e, id, rivertype.JobStateCompleted)
		if got := w.done.Load(); got != 1 {
			t.Errorf("worked %d, want 1 (the rolled back job must never run)", got)
		}
	})
}

// A discarded job is retried on request and then succeeds; a waiting job is cancelled and never
// runs; a finished one cannot be cancelled.
func TestRetryAndCancel(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		w := &noteWorker{}
		w.fail.Store(true)
		e := engine(t, db, w)
		ctx := context.Background()
		res, err := e.Insert(ctx, noteArgs{N: 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		j := waitState(t, e, res.Job.ID, rivertype.JobStateDiscarded)
		if len(j.Errors) != 1 || j.Errors[0].Error != "told to fail" {
			t.Errorf("errors of the discarded job: %+v", j.Errors)
		}
		w.fail.Store(false)
		if _, err := e.Retry(ctx, j.ID); err != nil {
			t.Fatal(err)
		}
		waitState(t, e, j.ID, rivertype.JobStateCompleted)
		if _, err := e.Cancel(ctx, j.ID); err == nil {
			t.Error("cancelling a completed job succeeded")
		}

		later, err := e.Insert(ctx, noteArgs{N: 10}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if c, err := e.Cancel(ctx, later.Job.ID); err != nil || c.State != rivertype.JobStateCancelled {
			t.Fatalf("cancel a scheduled job: %v %+v", err, c)
		}
		if _, err := e.Get(ctx, 999999); err == nil {
			t.Error("a job that does not exist was found")
		}
		if got := w.done.Load(); got != 1 {
			t.Errorf("worked %d, want 1", got)
		}
	})
}

type stepsArgs struct{ Steps int }

func (stepsArgs) Kind() string { return "test_steps" }

// stepsWorker does Steps steps of stepTime each, one per safe point, keeping its checkpoint
// across attempts as a requalify job keeps its own in the database.
type stepsWorker struct {
	river.WorkerDefaults[stepsArgs]
	stepTime time.Duration
	done     atomic.Int64 // steps committed
	attempts atomic.Int64
	cut      atomic.Int64 // attempts the engine cut in the middle of a step
}

func (w *stepsWorker) Work(ctx context.Context, j *river.Job[stepsArgs]) error {
	w.attempts.Add(1)
	for w.done.Load() < int64(j.Args.Steps) {
		if err := jobs.Interrupted(ctx); err != nil {
			return err
		}
		select {
		case <-time.After(w.stepTime):
		case <-ctx.Done():
			w.cut.Add(1)
			return jobs.Stopping(ctx) // the engine's cut: the step in flight is lost
		}
		w.done.Add(1)
	}
	return nil
}

// A long job that checkpoints yields at a safe point once it has used its slice (a quarter of
// RescueAfter), before the engine's cut at half of it would lose the step in flight, and goes
// on in its next attempt until done: every step once, no attempt cut.
func TestLongJobYieldsAtSafePoints(t *testing.T) {
	db := testenv.SQLite(t)
	w := &stepsWorker{stepTime: 100 * time.Millisecond}
	e, err := jobs.New(db, jobs.Config{PollInterval: 20 * time.Millisecond, RescueAfter: 2 * time.Second, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	jobs.Register(e, w)
	ctx := context.Background()
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
	})
	// 20 steps of 100 ms: 2 s of work, longer than the 1 s cut of one attempt.
	res, err := e.Insert(ctx, stepsArgs{Steps: 20}, nil)
	if err != nil {
		t.Fatal(err)
	}
	row := waitState(t, e, res.Job.ID, rivertype.JobStateCompleted)
	if got := w.done.Load(); got != 20 {
		t.Errorf("%d steps done, want 20", got)
	}
	if n := w.cut.Load(); n != 0 {
		t.Errorf("the engine cut %d attempts in the middle of a step", n)
	}
	if w.attempts.Load() < 2 {
		t.Errorf("%d attempts: the job never yielded", w.attempts.Load())
	}
	if len(row.Errors) != 0 {
		t.Errorf("attempts ended in errors (cut by the engine?): %+v", row.Errors)
	}
}

// An engine asked to stop before it started never starts: the app starts its engine in the
// background, and a stop that came first (a test's, or a SIGTERM during start-up) was lost, so
// the jobs ran anyway.
func TestStopBeforeStartKeepsTheEngineStopped(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		w := &noteWorker{}
		e, err := jobs.New(db, jobs.Config{PollInterval: 20 * time.Millisecond, MaxAttempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		jobs.Register(e, w)
		ctx := context.Background()
		if err := e.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		res, err := e.Insert(ctx, noteArgs{N: 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = e.Stop(ctx) })
		// A started engine fetches at once and then every 20 ms: 25 polls leave the job alone.
		time.Sleep(500 * time.Millisecond)
		if j, err := e.Get(ctx, res.Job.ID); err != nil || j.State != rivertype.JobStateAvailable || w.done.Load() != 0 {
			t.Fatalf("after a stop, start worked the job: %v %+v (worked %d)", err, j, w.done.Load())
		}
	})
}
