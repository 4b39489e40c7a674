package policyadmin

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/requalifyjob"
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
// job at once; its progress is stored as it runs.
func (s *Service) RequalifyLeads(ctx context.Context, where *ent.LeadWhereInput) (*ent.RequalifyJob, error) {
	active, err := activeOrFail(s.cfg.Engine)
	if err != nil {
		return nil, err
	}
	total, err := s.cfg.Lifecycle.CountLeads(ctx, where)
	if err != nil {
		return nil, err
	}
	create := s.cfg.Client.RequalifyJob.Create().SetTotal(total).SetPolicyRevision(active.ID())
	if where != nil {
		m, err := whereMap(where)
		if err != nil {
			return nil, err
		}
		create.SetWhere(m)
	}
	job, err := create.Save(ctx)
	if err != nil {
		return nil, err
	}
	s.jobs.wg.Go(func() { s.runJob(s.jobs.ctx, job.ID, where) })
	return job, nil
}

// Job returns a job by id.
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

// runJob re-qualifies the job's leads page by page and stores its progress after each page.
func (s *Service) runJob(ctx context.Context, id int, where *ent.LeadWhereInput) {
	c, lc := s.cfg.Client, s.cfg.Lifecycle
	var (
		processed, moved, failed, after int
		errs                            []string
	)
	finish := func(status requalifyjob.Status, cause error) {
		if cause != nil && len(errs) < jobMaxErrors {
			errs = append(errs, cause.Error())
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		err := c.RequalifyJob.UpdateOneID(id).SetStatus(status).SetProcessed(processed).SetMoved(moved).
			SetFailed(failed).SetErrors(errs).SetFinishedAt(time.Now()).Exec(ctx)
		if err != nil {
			s.log.Error("requalify job: store the outcome", "job", id, "err", err)
		}
		s.log.Info("requalify job finished", "job", id, "status", status, "processed", processed, "moved", moved, "failed", failed)
	}
	if err := c.RequalifyJob.UpdateOneID(id).SetStatus(requalifyjob.StatusRUNNING).SetStartedAt(time.Now()).Exec(ctx); err != nil {
		finish(requalifyjob.StatusFAILED, err)
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
		for _, lid := range ids {
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
		err = c.RequalifyJob.UpdateOneID(id).SetProcessed(processed).SetMoved(moved).SetFailed(failed).SetErrors(errs).Exec(ctx)
		if err != nil {
			finish(requalifyjob.StatusFAILED, err)
			return
		}
	}
}
