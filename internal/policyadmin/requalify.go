package policyadmin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/requalifyjob"
	"github.com/qualify/qualify/internal/audit"
	"github.com/qualify/qualify/internal/dberr"
	"github.com/qualify/qualify/internal/jobs"
	"github.com/qualify/qualify/internal/txn"
)

// Job tuning: leads per batch by default (one transaction, one checkpoint), how many errors a job keeps,
// and how often a failing run is tried again before the job is failed.
const (
	jobPage        = 200
	jobMaxErrors   = 20
	jobMaxAttempts = 10
)

// RequalifyArgs is the engine job of a RequalifyJob.
type RequalifyArgs struct {
	RequalifyJobID int `json:"requalifyJobId"`
}

// Kind implements river.JobArgs.
func (RequalifyArgs) Kind() string { return "requalify" }

// RequalifyLeads starts a background job that re-qualifies every lead matching where (nil: all)
// on the active policy, with trigger REQUALIFY. It returns the queued job at once; the job and
// its engine job are written in one transaction, so neither exists without the other. The job
// runs in batches of leads by ascending id, each batch in one transaction with the job's
// checkpoint (the last lead id done): a run stopped anywhere resumes after the last committed
// batch, on any replica, and no lead is processed twice or skipped.
func (s *Service) RequalifyLeads(ctx context.Context, where *ent.LeadWhereInput, opts RequalifyOptions) (*ent.RequalifyJob, error) {
	active, err := activeOrFail(s.cfg.Engine)
	if err != nil {
		return nil, err
	}
	if s.cfg.Jobs == nil {
		return nil, errors.New("policyadmin: no job engine configured")
	}
	if opts.OnlyChangedFrom != "" {
		// Refuse an unknown revision now, not in the background.
		if _, err := s.changedOnly(ctx, opts.OnlyChangedFrom); err != nil {
			return nil, err
		}
	}
	total, err := s.cfg.Lifecycle.CountLeads(ctx, where)
	if err != nil {
		return nil, err
	}
	var job *ent.RequalifyJob
	err = txn.Run(ctx, s.cfg.Client, func(ctx context.Context, tx *ent.Client) error {
		create := tx.RequalifyJob.Create().SetTotal(total).SetPolicyRevision(active.ID()).SetPolicyHash(active.Hash()).
			SetOnlyChangedFrom(opts.OnlyChangedFrom)
		if where != nil {
			m, err := whereMap(where)
			if err != nil {
				return err
			}
			create.SetWhere(m)
		}
		if job, err = create.Save(ctx); err != nil {
			return err
		}
		if _, err := audit.Record(ctx, tx, audit.Event{Action: audit.RequalifyStart, Target: fmt.Sprint(job.ID),
			Details: map[string]any{"policyHash": active.Hash(), "total": total, "where": job.Where}}); err != nil {
			return err
		}
		res, err := s.cfg.Jobs.Insert(ctx, RequalifyArgs{RequalifyJobID: job.ID}, &river.InsertOpts{MaxAttempts: jobMaxAttempts})
		if err != nil {
			return err
		}
		job, err = job.Update().SetRiverJobID(res.Job.ID).Save(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return job.Unwrap(), nil
}

// Job returns a requalify job by id.
func (s *Service) Job(ctx context.Context, id int) (*ent.RequalifyJob, error) {
	return s.cfg.Client.RequalifyJob.Get(ctx, id)
}

// WaitJob polls a job until it is finished (for the CLI and tests).
func (s *Service) WaitJob(ctx context.Context, id int, progress func(*ent.RequalifyJob)) (*ent.RequalifyJob, error) {
	for {
		j, err := s.Job(ctx, id)
		if err != nil {
			return nil, err
		}
		if progress != nil {
			progress(j)
		}
		if j.Status == requalifyjob.StatusSUCCEEDED || j.Status == requalifyjob.StatusFAILED {
			return j, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func whereMap(where *ent.LeadWhereInput) (map[string]any, error) {
	raw, err := json.Marshal(where)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	return m, json.Unmarshal(raw, &m)
}

func whereOf(m map[string]any) (*ent.LeadWhereInput, error) {
	if m == nil {
		return nil, nil
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	w := &ent.LeadWhereInput{}
	return w, json.Unmarshal(raw, w)
}

// requalifyWorker runs RequalifyJobs on the job engine.
type requalifyWorker struct {
	river.WorkerDefaults[RequalifyArgs]
	s *Service
}

// errTakenOver stops a run whose checkpoint moved under it: another run of the same job (a
// rescue of one taken for dead) got there first, and its batches stand.
var errTakenOver = errors.New("requalify: another run of the job advanced its checkpoint; this run stops")

// progress is a requalify run's counters, carried from batch to batch.
type progress struct {
	checkpoint, processed, moved, failed int
	errs                                 []string
}

func (p *progress) note(err error) {
	if len(p.errs) < jobMaxErrors {
		p.errs = append(p.errs, err.Error())
	}
}

// Work runs (or resumes) the job from its stored checkpoint, batch by batch, stopping between
// batches when the replica stops or the job is cancelled.
func (w *requalifyWorker) Work(ctx context.Context, rj *river.Job[RequalifyArgs]) error {
	s, c := w.s, w.s.cfg.Client
	job, err := c.RequalifyJob.Get(ctx, rj.Args.RequalifyJobID)
	if ent.IsNotFound(err) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	if job.Status == requalifyjob.StatusSUCCEEDED {
		return nil
	}
	where, err := whereOf(job.Where)
	if err != nil {
		return w.fail(ctx, job.ID, river.JobCancel(fmt.Errorf("stored filter: %w", err)))
	}
	var filter pageFilter
	if job.OnlyChangedFrom != "" {
		if filter, err = s.changedOnly(ctx, job.OnlyChangedFrom); err != nil {
			return w.failOnLast(ctx, rj, job.ID, err)
		}
	}
	p := progress{checkpoint: job.Checkpoint, processed: job.Processed, moved: job.Moved, failed: job.Failed, errs: job.Errors}
	upd := c.RequalifyJob.UpdateOneID(job.ID).SetStatus(requalifyjob.StatusRUNNING).ClearFinishedAt()
	if job.StartedAt == nil {
		upd.SetStartedAt(time.Now())
	}
	if err := upd.Exec(ctx); err != nil {
		return err
	}
	s.log.Info("requalify job running", "job", job.ID, "attempt", rj.Attempt, "after", p.checkpoint, "processed", p.processed, "total", job.Total)
	for {
		if err := jobs.Interrupted(ctx); err != nil {
			s.log.Info("requalify job interrupted at a batch boundary", "job", job.ID, "after", p.checkpoint, "processed", p.processed)
			if errors.Is(err, jobs.ErrCancelled) {
				return w.fail(ctx, job.ID, err)
			}
			return err
		}
		ids, err := s.cfg.Lifecycle.LeadIDs(ctx, where, p.checkpoint, s.cfg.RequalifyBatch)
		if err != nil {
			return w.failOnLast(ctx, rj, job.ID, err)
		}
		if len(ids) == 0 {
			err := c.RequalifyJob.UpdateOneID(job.ID).SetStatus(requalifyjob.StatusSUCCEEDED).SetFinishedAt(time.Now()).Exec(ctx)
			s.log.Info("requalify job finished", "job", job.ID, "processed", p.processed, "moved", p.moved, "failed", p.failed)
			return err
		}
		next, err := w.batch(ctx, rj.ID, job.ID, job.Total, ids, filter, p)
		if errors.Is(err, errTakenOver) {
			s.log.Warn("requalify job: another run holds the checkpoint; this one ends", "job", job.ID)
			return nil // the other run finishes the job and reports it
		}
		if err != nil {
			if serr := jobs.Stopping(ctx); serr != nil {
				return serr // stopped inside the batch, which rolled back: the next attempt does it
			}
			return w.failOnLast(ctx, rj, job.ID, err)
		}
		p = next
	}
}

// batch re-qualifies the leads of ids (those filter keeps; the others count as processed) in one
// transaction that also advances the job's checkpoint past ids, and returns the new progress.
// The checkpoint is compared and set first: of two runs of one job only the one holding the
// checkpoint commits, so each lead's re-qualification commits once.
func (w *requalifyWorker) batch(ctx context.Context, riverID int64, id, total int, ids []int, filter pageFilter, p progress) (progress, error) {
	var out progress
	err := txn.Run(ctx, w.s.cfg.Client, func(ctx context.Context, tx *ent.Client) error {
		out = p
		out.errs = append([]string(nil), p.errs...)
		n, err := tx.RequalifyJob.Update().
			Where(requalifyjob.ID(id), requalifyjob.Checkpoint(p.checkpoint)).
			SetCheckpoint(ids[len(ids)-1]).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return errTakenOver
		}
		page := ids
		if filter != nil {
			if page, err = filter(ctx, ids); err != nil {
				return err
			}
		}
		out.processed += len(ids) - len(page)
		for _, lid := range page {
			moved, err := w.lead(ctx, tx, lid)
			out.processed++
			switch {
			case err != nil && (dberr.Classify(err) != dberr.Other || ctx.Err() != nil):
				return err // the batch is retried (txn) or the run resumes from the checkpoint
			case err != nil:
				out.failed++
				out.note(fmt.Errorf("lead %d: %w", lid, err))
			case moved:
				out.moved++
			}
		}
		out.checkpoint = ids[len(ids)-1]
		if err := tx.RequalifyJob.UpdateOneID(id).SetProcessed(out.processed).SetMoved(out.moved).
			SetFailed(out.failed).SetErrors(out.errs).Exec(ctx); err != nil {
			return err
		}
		// The engine job's own progress, for the job list: same transaction.
		return w.s.cfg.Jobs.Progress(ctx, riverID, map[string]any{
			"requalifyJobId": id, "checkpoint": out.checkpoint, "processed": out.processed, "total": total, "moved": out.moved, "failed": out.failed,
		})
	})
	return out, err
}

// lead re-qualifies one lead inside a savepoint, so that a lead the policy fails on is undone
// alone and the batch goes on.
func (w *requalifyWorker) lead(ctx context.Context, tx *ent.Client, id int) (bool, error) {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT requalify_lead"); err != nil {
		return false, err
	}
	moved, err := w.s.cfg.Lifecycle.RequalifyLeadTx(ctx, tx, id)
	if err != nil {
		if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT requalify_lead"); rerr != nil {
			return false, errors.Join(err, rerr)
		}
	}
	if _, rerr := tx.ExecContext(ctx, "RELEASE SAVEPOINT requalify_lead"); rerr != nil {
		return false, errors.Join(err, rerr)
	}
	return moved, err
}

// failOnLast returns err for the engine to retry the run, and fails the job first when this was
// the last attempt.
func (w *requalifyWorker) failOnLast(ctx context.Context, rj *river.Job[RequalifyArgs], id int, err error) error {
	if rj.Attempt >= rj.MaxAttempts {
		return w.fail(ctx, id, err)
	}
	return err
}

// fail marks the job FAILED with err among its errors and returns err.
func (w *requalifyWorker) fail(ctx context.Context, id int, err error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	j, gerr := w.s.cfg.Client.RequalifyJob.Get(ctx, id)
	if gerr != nil {
		return errors.Join(err, gerr)
	}
	errs := j.Errors
	if len(errs) < jobMaxErrors {
		errs = append(errs, err.Error())
	}
	if uerr := j.Update().SetStatus(requalifyjob.StatusFAILED).SetFinishedAt(time.Now()).SetErrors(errs).Exec(ctx); uerr != nil {
		return errors.Join(err, uerr)
	}
	w.s.log.Warn("requalify job failed", "job", id, "err", err)
	return err
}
