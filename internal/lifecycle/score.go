package lifecycle

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/decisionlog"
	"github.com/qualify/qualify/internal/txn"
)

// scoreBatch is how many leads Score loads, decides and writes per transaction.
const scoreBatch = 1000

// scored is a lead's decision, ready to be written.
type scored struct {
	Candidate
	row []any // the lead's new column values, in scoreCols order
	log decisionlog.Entry
}

// Score evaluates the qualification policy for every stored lead and stores scores, grade,
// temperature and reasons, without moving any lead: imported or seeded histories stay as they
// are. Leads are read in batches with their facts (FactsReader), decided on every core while
// the previous batch is written, and each batch is written with one UPDATE per few thousand
// leads and one INSERT of their decision logs. progress, if set, is called after each batch.
func (s *Service) Score(ctx context.Context, progress func(done, total int)) (int, error) {
	total, err := s.client.Lead.Query().Count(ctx)
	if err != nil {
		return 0, err
	}
	r, err := s.NewFactsReader(ctx)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type batch struct {
		rows []scored
		err  error
	}
	ready := make(chan batch, 1) // one batch decided ahead of the one being written
	go func() {
		defer close(ready)
		err := s.PageLeadIDs(ctx, nil, scoreBatch, func(ids []int) error {
			cs, err := r.Load(ctx, ids)
			if err != nil {
				return err
			}
			rows, err := s.decideAll(ctx, cs)
			if err != nil {
				return err
			}
			select {
			case ready <- batch{rows: rows}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		if err != nil {
			ready <- batch{err: err}
		}
	}()
	done := 0
	for b := range ready {
		if b.err != nil {
			return done, b.err
		}
		err := txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
			if err := updateScores(ctx, tx, r.dialect, b.rows); err != nil {
				return err
			}
			logged := make([]decisionlog.Entry, len(b.rows))
			for i := range b.rows {
				logged[i] = b.rows[i].log
			}
			return decisionlog.WriteAll(ctx, tx, logged)
		})
		if err != nil {
			return done, err
		}
		done += len(b.rows)
		if progress != nil {
			progress(done, total)
		}
	}
	return done, ctx.Err()
}

// decideAll decides the leads of a batch on every core.
func (s *Service) decideAll(ctx context.Context, cs []Candidate) ([]scored, error) {
	out := make([]scored, len(cs))
	now := s.now()
	workers := min(runtime.GOMAXPROCS(0), len(cs))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(cs); i += workers {
				if errs[w] = s.decideOne(ctx, cs[i], now, &out[i]); errs[w] != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Service) decideOne(ctx context.Context, c Candidate, now time.Time, out *scored) error {
	start := time.Now()
	d, meta, err := s.decider.DecideLead(ctx, c.Input)
	if err != nil {
		return fmt.Errorf("score lead %d: %w", c.ID, err)
	}
	latency := time.Since(start)
	// Escalations are not read here (a batch stays a constant number of statements): a review
	// that finds an SLA already escalated only moves the date on.
	sd, _, err := s.decider.DecideSchedule(ctx, scheduleInput(reviewState{in: c.Input, qualifiedAt: &now}, now, nil))
	if err != nil {
		return fmt.Errorf("schedule lead %d: %w", c.ID, err)
	}
	row, err := scoreRow(s.client.Lead.UpdateOneID(c.ID).Mutation(), c.ID, d, meta, sd, now)
	if err != nil {
		return fmt.Errorf("score lead %d: %w", c.ID, err)
	}
	*out = scored{Candidate: c, row: row, log: decisionlog.Entry{Kind: decisionlog.Lead, LeadID: c.ID, Meta: meta,
		Input: c.Input, Result: d, Latency: latency, Trigger: "score"}}
	return nil
}
