package policyadmin

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/requalifyjob"
	"github.com/qualify/qualify/internal/audit"
	"github.com/qualify/qualify/internal/txn"
)

// Job tuning: leads per page of ids, and how many errors a job keeps.
const (
	jobPage      = 200
	jobMaxErrors = 20
)

// jobRunner owns the background jobs' goroutines: they live as long as the Service, not as
// the request that started them.
type jobRunner struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (j *jobRunner) init()  { j.ctx, j.cancel = context.WithCancel(context.Background()) }
func (j *jobRunner) close() { j.cancel(); j.wg.Wait() }

// RequalifyLeads starts a background job that re-qualifies every lead matching where (nil: all)
// on the active policy, with trigger REQUALIFY, one transaction per lead. It returns the queued
// job at once; its progress is stored as it runs. Jobs orphaned by a stopped runner are failed
// first, so that the list of jobs never shows two as running when only one is.
func (s *Service) RequalifyLeads(ctx context.Context, where *ent.LeadWhereInput, opts RequalifyOptions) (*ent.RequalifyJob, error) {
	active, err := activeOrFail(s.cfg.Engine)
	if err != nil {
		return nil, err
	}
	var filter pageFilter
	if opts.OnlyChangedFrom != "" {
		if filter, err = s.changedOnly(ctx, opts.OnlyChangedFrom); err != nil {
			return nil, err
		}
	}
	if _, err := s.ReclaimJobs(ctx); err != nil {
		return nil, err
	}
	total, err := s.cfg.Lifecycle.CountLeads(ctx, where)
	if err != nil {
		return nil, err
	}
	var (
		job  *ent.RequalifyJob
		held lease
	)
	err = txn.Run(ctx, s.cfg.Client, func(ctx context.Context, tx *ent.Client) error {
		create := tx.RequalifyJob.Create().SetTotal(total).SetPolicyRevision(active.ID()).SetPolicyHash(active.Hash())
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
		held, err = s.leases.acquire(ctx, job.ID)
		return err
	})
	if err != nil {
		if held != nil {
			held.release()
		}
		return nil, err
	}
	s.jobs.wg.Go(func() {
		defer held.release()
		s.runJob(s.jobs.ctx, job.ID, where, filter, held)
	})
	return job.Unwrap(), nil
}

// errOrphaned is what a job whose runner stopped is failed with.
const errOrphaned = "interrupted: the process running the job stopped; start a new job"

// ReclaimJobs fails the QUEUED and RUNNING jobs (all, or those of ids) whose runner is gone, and
// returns how many. It is safe to run on every replica at any time: a live runner's lease keeps
// its job out of reach.
func (s *Service) ReclaimJobs(ctx context.Context, ids ...int) (int, error) {
	q := s.cfg.Client.RequalifyJob.Query().Where(requalifyjob.StatusIn(requalifyjob.StatusQUEUED, requalifyjob.StatusRUNNING))
	if len(ids) > 0 {
		q.Where(requalifyjob.IDIn(ids...))
	}
	jobs, err := q.All(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, j := range jobs {
		claimed, err := s.leases.claimOrphan(ctx, j.ID, func() error {
			// Conditional: a runner that finished after the read above keeps its outcome.
			return s.cfg.Client.RequalifyJob.Update().
				Where(requalifyjob.ID(j.ID), requalifyjob.StatusIn(requalifyjob.StatusQUEUED, requalifyjob.StatusRUNNING)).
				SetStatus(requalifyjob.StatusFAILED).SetErrors(append(j.Errors, errOrphaned)).SetFinishedAt(time.Now()).
				Exec(ctx)
		})
		if err != nil {
			return n, fmt.Errorf("reclaim requalify job %d: %w", j.ID, err)
		}
		if claimed {
			s.log.Warn("requalify job orphaned: marked failed", "job", j.ID, "processed", j.Processed, "total", j.Total)
			n++
		}
	}
	return n, nil
}

// Job returns a job by id. A job that claims to be running is checked first: a client following
// a job whose runner is gone sees it fail, not wait forever.
func (s *Service) Job(ctx context.Context, id int) (*ent.RequalifyJob, error) {
	j, err := s.cfg.Client.RequalifyJob.Get(ctx, id)
	if err != nil || (j.Status != requalifyjob.StatusQUEUED && j.Status != requalifyjob.StatusRUNNING) {
		return j, err
	}
	if n, err := s.ReclaimJobs(ctx, id); err != nil || n == 0 {
		return j, err
	}
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

// runJob re-qualifies the job's leads page by page (those filter keeps, when set; the others
// count as processed) and stores its progress after each page. It stops when its lease may be lost or its job was failed by someone else meanwhile, since then
// another replica may already have reported the job as orphaned.
func (s *Service) runJob(ctx context.Context, id int, where *ent.LeadWhereInput, filter pageFilter, held lease) {
	c, lc := s.cfg.Client, s.cfg.Lifecycle
	var (
		processed, moved, failed, after int
		errs                            []string
	)
	// store writes the job's fields where u's condition on its status holds, and tells whether
	// it did: a job failed meanwhile as orphaned keeps that outcome.
	store := func(ctx context.Context, u *ent.RequalifyJobUpdate) (bool, error) {
		n, err := u.Where(requalifyjob.ID(id)).SetProcessed(processed).SetMoved(moved).SetFailed(failed).SetErrors(errs).Save(ctx)
		return n == 1, err
	}
	finish := func(status requalifyjob.Status, cause error) {
		if cause != nil && len(errs) < jobMaxErrors {
			errs = append(errs, cause.Error())
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		ok, err := store(ctx, c.RequalifyJob.Update().Where(requalifyjob.StatusIn(requalifyjob.StatusQUEUED, requalifyjob.StatusRUNNING)).
			SetStatus(status).SetFinishedAt(time.Now()))
		if err != nil {
			s.log.Error("requalify job: store the outcome", "job", id, "err", err)
		} else if !ok {
			s.log.Warn("requalify job: failed elsewhere as orphaned before it finished", "job", id)
		}
		s.log.Info("requalify job finished", "job", id, "status", status, "processed", processed, "moved", moved, "failed", failed)
	}
	ok, err := store(ctx, c.RequalifyJob.Update().Where(requalifyjob.StatusEQ(requalifyjob.StatusQUEUED)).
		SetStatus(requalifyjob.StatusRUNNING).SetStartedAt(time.Now()))
	switch {
	case err != nil:
		finish(requalifyjob.StatusFAILED, err)
		return
	case !ok:
		s.log.Warn("requalify job: failed elsewhere as orphaned before it started", "job", id)
		return
	}
	for {
		ids, err := lc.LeadIDs(ctx, where, after, jobPage)
		if err != nil {
			finish(requalifyjob.StatusFAILED, err)
			return
		}
		if len(ids) == 0 {
			finish(requalifyjob.StatusSUCCEEDED, nil)
			return
		}
		page := ids
		if filter != nil {
			if page, err = filter(ctx, ids); err != nil {
				finish(requalifyjob.StatusFAILED, err)
				return
			}
			processed += len(ids) - len(page)
		}
		for _, lid := range page {
			m, err := lc.RequalifyLead(ctx, lid)
			if ctx.Err() != nil {
				finish(requalifyjob.StatusFAILED, fmt.Errorf("interrupted: %w", ctx.Err()))
				return
			}
			processed++
			if err != nil {
				failed++
				if len(errs) < jobMaxErrors {
					errs = append(errs, fmt.Sprintf("lead %d: %v", lid, err))
				}
			} else if m {
				moved++
			}
		}
		after = ids[len(ids)-1]
		if err := held.check(ctx); err != nil {
			finish(requalifyjob.StatusFAILED, fmt.Errorf("lost the job's lease: %w", err))
			return
		}
		if ok, err := store(ctx, c.RequalifyJob.Update().Where(requalifyjob.StatusEQ(requalifyjob.StatusRUNNING))); err != nil || !ok {
			if err == nil {
				s.log.Warn("requalify job: failed elsewhere as orphaned while running; stopping", "job", id)
				return
			}
			finish(requalifyjob.StatusFAILED, err)
			return
		}
	}
}
