// Package sweep runs the schedule policy's timed actions: it finds the leads whose next review
// is due through the next_review_at index, in bounded batches, and has lifecycle review each one
// (escalate, re-score, move) on the decision, transition and history path of a manual move with
// trigger SCHEDULE. As a River periodic job it runs on the elected leader replica only; a review
// is idempotent anyway, so a retried or doubled run does nothing twice.
package sweep

import (
	"context"
	"log/slog"
	"time"

	"github.com/qualify/qualify/internal/lifecycle"
)

// Reviewer is the lead lifecycle as the sweep uses it; *lifecycle.Service is one.
type Reviewer interface {
	DueLeads(ctx context.Context, now time.Time, limit int) ([]int, error)
	Review(ctx context.Context, id int) (lifecycle.ReviewResult, error)
	Now() time.Time
}

// Config bounds a sweep; zero values take the defaults.
type Config struct {
	// Interval is how often the leader sweeps. Zero: DefaultInterval; negative: never.
	Interval time.Duration
	// BatchSize is how many due leads one batch reads. Zero: DefaultBatchSize.
	BatchSize int
	// MaxBatches bounds one run; the rest waits for the next run. Zero: DefaultMaxBatches.
	MaxBatches int
}

// Defaults of Config.
const (
	DefaultInterval   = time.Minute
	DefaultBatchSize  = 200
	DefaultMaxBatches = 50
)

func (c Config) withDefaults() Config {
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.MaxBatches <= 0 {
		c.MaxBatches = DefaultMaxBatches
	}
	return c
}

// Stats is what one run did.
type Stats struct {
	Batches, Reviewed, NotDue, Rescored, Moved, Escalated, Refused, Failed int
	// More: the run stopped at MaxBatches with leads still due.
	More bool
}

// Sweeper reviews due leads.
type Sweeper struct {
	r       Reviewer
	cfg     Config
	metrics *Metrics
	log     *slog.Logger
}

// New returns a sweeper; m may be nil (not counted).
func New(r Reviewer, cfg Config, m *Metrics, log *slog.Logger) *Sweeper {
	if log == nil {
		log = slog.Default()
	}
	return &Sweeper{r: r, cfg: cfg.withDefaults(), metrics: m, log: log}
}

// Config is the sweeper's configuration with its defaults applied.
func (s *Sweeper) Config() Config { return s.cfg }

// Run reviews the leads due at the start of the run, the longest overdue first, batch by batch,
// at most MaxBatches. Before each batch it calls safe (nil: none), and stops with its error: the
// reviews done so far are committed, one transaction per lead. A lead whose review fails stays
// due for the next run and is not retried in this one.
func (s *Sweeper) Run(ctx context.Context, safe func(context.Context) error) (Stats, error) {
	var st Stats
	start := time.Now()
	defer func() { s.metrics.observeRun(st, time.Since(start)) }()
	// The clock is read once: a lead that falls due during the run waits for the next one, so
	// a run always ends.
	now := s.r.Now()
	failed := map[int]bool{}
	for st.Batches < s.cfg.MaxBatches {
		if safe != nil {
			if err := safe(ctx); err != nil {
				return st, err
			}
		}
		ids, err := s.r.DueLeads(ctx, now, s.cfg.BatchSize+len(failed))
		if err != nil {
			return st, err
		}
		todo := ids[:0]
		for _, id := range ids {
			if !failed[id] {
				todo = append(todo, id)
			}
		}
		if len(todo) == 0 {
			return st, nil
		}
		st.Batches++
		for _, id := range todo {
			res, err := s.r.Review(ctx, id)
			if err != nil {
				if ctx.Err() != nil {
					return st, ctx.Err()
				}
				failed[id] = true
				st.Failed++
				s.metrics.reviewed("failed")
				s.log.Error("schedule: review failed; the lead stays due", "lead", id, "err", err)
				continue
			}
			st.add(res, s.metrics)
		}
	}
	more, err := s.r.DueLeads(ctx, now, len(failed)+1)
	st.More = err == nil && len(more) > len(failed)
	return st, err
}

func (st *Stats) add(res lifecycle.ReviewResult, m *Metrics) {
	if res.NotDue {
		st.NotDue++
		m.reviewed("not_due")
		return
	}
	st.Reviewed++
	outcome := "unchanged"
	if res.Rescored {
		st.Rescored++
		outcome = "rescored"
	}
	if res.Moved {
		st.Moved++
		outcome = "moved"
	}
	if res.Refused {
		st.Refused++
		outcome = "refused"
	}
	st.Escalated += len(res.Escalated)
	m.escalated(len(res.Escalated))
	m.reviewed(outcome)
}
