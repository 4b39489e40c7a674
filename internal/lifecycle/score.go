package lifecycle

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"github.com/jackc/pgx/v5"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/decisionlog"
	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/store"
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

// ScoreOptions says how Score reports and writes.
type ScoreOptions struct {
	// Progress, if set, is called after each batch is committed, by one goroutine at a time.
	Progress func(done, total int)
	// Pool, when it is the PostgreSQL pool under the client, lets Score write the batches on
	// several connections at once, the decision logs with COPY: a bulk score is bound by the
	// database's work on its writes, which one connection does on one core.
	Pool *sql.DB
}

// Score evaluates the qualification policy for every stored lead and stores scores, grade,
// temperature and reasons, without moving any lead: imported or seeded histories stay as they
// are. It is a pipeline: pages of lead ids are read with their facts (FactsReader) and decided
// on every core by several readers, and the decided batches are written, each in a transaction
// of its own (one UPDATE per few thousand leads and the batch's decision logs), by one writer,
// or several with a PostgreSQL Pool. A lead is decided exactly as alone: the same input, the
// same decisions, the same columns and decision log.
func (s *Service) Score(ctx context.Context, opts ScoreOptions) (int, error) {
	total, err := s.client.Lead.Query().Count(ctx)
	if err != nil {
		return 0, err
	}
	r, err := s.NewFactsReader(ctx)
	if err != nil {
		return 0, err
	}
	write := s.writeScoresTx(r.dialect)
	// One reader and one writer through the client, as a server seeding beside its requests
	// or SQLite wants: with four readers, a 100k score on SQLite stopped moving for minutes
	// (no write reached its WAL; why is not known). With a pool, twice
	// as many readers as cores (one decides while another waits for its facts) and a writer
	// per core.
	readers, writers := 1, 1
	if opts.Pool != nil && r.dialect == dialect.Postgres {
		write, readers, writers = copyScores(opts.Pool), 2*runtime.GOMAXPROCS(0), runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	stage := func(n int, fn func() error, then func()) {
		var stageWG sync.WaitGroup
		for range n {
			wg.Add(1)
			stageWG.Add(1)
			go func() {
				defer wg.Done()
				defer stageWG.Done()
				if err := fn(); err != nil {
					cancel(err)
				}
			}()
		}
		go func() { stageWG.Wait(); then() }()
	}
	pages := make(chan []int, readers)
	decided := make(chan []scored, writers) // batches decided ahead of the writers
	stage(1, func() error {
		return s.PageLeadIDs(ctx, nil, scoreBatch, func(ids []int) error { return send(ctx, pages, ids) })
	}, func() { close(pages) })
	stage(readers, func() error {
		for ids := range pages {
			cs, err := r.Load(ctx, ids)
			if err != nil {
				return err
			}
			rows, err := s.decideAll(ctx, cs)
			if err != nil {
				return err
			}
			if err := send(ctx, decided, rows); err != nil {
				return err
			}
		}
		return nil
	}, func() { close(decided) })
	var mu sync.Mutex
	done := 0
	stage(writers, func() error {
		for rows := range decided {
			if err := write(ctx, rows); err != nil {
				return err
			}
			mu.Lock()
			done += len(rows)
			if opts.Progress != nil {
				opts.Progress(done, total)
			}
			mu.Unlock()
		}
		return nil
	}, func() {})
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return done, err
	}
	return done, nil
}

// send passes v on, unless ctx ends first: after a failure no stage waits for one that
// stopped.
func send[T any](ctx context.Context, ch chan<- T, v T) error {
	select {
	case ch <- v:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// writeScoresTx writes a batch in a transaction of the client.
func (s *Service) writeScoresTx(dia string) func(context.Context, []scored) error {
	return func(ctx context.Context, rows []scored) error {
		return txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
			err := updateScores(ctx, dia, rows, func(ctx context.Context, q string, args ...any) error {
				_, err := tx.ExecContext(ctx, q, args...)
				return err
			})
			if err != nil {
				return err
			}
			return decisionlog.WriteAll(ctx, tx, logsOf(rows))
		})
	}
}

// copyScores writes a batch in a transaction of a pgx connection of pool, the decision logs
// with COPY.
func copyScores(pool *sql.DB) func(context.Context, []scored) error {
	return func(ctx context.Context, rows []scored) error {
		return store.OnPgxConn(ctx, pool, func(c *pgx.Conn) error {
			return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
				err := updateScores(ctx, dialect.Postgres, rows, func(ctx context.Context, q string, args ...any) error {
					_, err := tx.Exec(ctx, q, args...)
					return err
				})
				if err != nil {
					return err
				}
				return decisionlog.CopyAll(ctx, tx, logsOf(rows))
			})
		})
	}
}

func logsOf(rows []scored) []decisionlog.Entry {
	out := make([]decisionlog.Entry, len(rows))
	for i := range rows {
		out[i] = rows[i].log
	}
	return out
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
	var (
		d       policy.LeadDecision
		meta    policy.Meta
		latency time.Duration
	)
	err := patiently(ctx, func() (err error) {
		start := time.Now()
		d, meta, err = s.decider.DecideLead(ctx, c.Input)
		latency = time.Since(start)
		return err
	})
	if err != nil {
		return fmt.Errorf("score lead %d: %w", c.ID, err)
	}
	// Escalations are not read here (a batch stays a constant number of statements): a review
	// that finds an SLA already escalated only moves the date on.
	var sd policy.ScheduleDecision
	err = patiently(ctx, func() (err error) {
		sd, _, err = s.decider.DecideSchedule(ctx, scheduleInput(reviewState{in: c.Input, qualifiedAt: &now}, now, nil))
		return err
	})
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

// scoreAttempts is how many times a bulk score asks for a decision that ran out of time.
const scoreAttempts = 3

// patiently runs decide again when it ran out of the policy's time while ctx goes on: the
// deadline guards a request against a runaway policy, and a bulk score on a loaded machine
// (two cores, a load of twenty) met it on a decision of a tenth of a millisecond, descheduled;
// the answer asked again is the same, and a policy that always needs longer still fails.
func patiently(ctx context.Context, decide func() error) error {
	var err error
	for range scoreAttempts {
		if err = decide(); err == nil || !errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return err
		}
	}
	return err
}
