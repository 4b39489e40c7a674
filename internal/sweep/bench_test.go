package sweep_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/internal/lifecycle"
	"github.com/qualify/qualify/internal/seed"
	"github.com/qualify/qualify/internal/sweep"
	"github.com/qualify/qualify/internal/testenv"
)

// BenchmarkSweep100k: 100,000 seeded leads of which 10 % are due; one op is one batch of 200 due
// leads reviewed (found through the next_review_at index, decided, written). It reports the SQL
// statements per batch and the statements of finding a batch, which must not grow with the
// leads that are not due. SQLite; DATABASE_URL is not used.
func BenchmarkSweep100k(b *testing.B) {
	ctx := context.Background()
	db := testenv.SQLite(b)
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	if _, err := seed.Run(ctx, db.Client, seed.Options{Leads: 100_000, Seed: 11, Now: now.Add(-time.Hour)}); err != nil {
		b.Fatal(err)
	}
	// One lead in ten is due an hour ago, the others in a month.
	if _, err := db.SQL.ExecContext(ctx, `UPDATE leads SET next_review_at = CASE WHEN id % 10 = 0 THEN ? ELSE ? END`,
		now.Add(-time.Hour), now.Add(30*24*time.Hour)); err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	counted := ent.NewClient(ent.Driver(dialect.DebugWithContext(entsql.OpenDB(db.Dialect, db.SQL), func(context.Context, ...any) { n.Add(1) })))
	c := &clock{t: now}
	lc := lifecycle.New(counted, engine(b), lifecycle.WithClock(c.Now), lifecycle.WithLogger(discard))
	const batch = 200
	s := sweep.New(lc, sweep.Config{BatchSize: batch, MaxBatches: 1}, nil, discard)

	n.Store(0)
	if _, err := lc.DueLeads(ctx, now, batch); err != nil {
		b.Fatal(err)
	}
	b.Logf("finding a batch of %d due leads: %d statement(s)", batch, n.Load())

	n.Store(0)
	reviewed := 0
	b.ResetTimer()
	for b.Loop() {
		st, err := s.Run(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		if st.Failed > 0 {
			b.Fatalf("%d reviews failed", st.Failed)
		}
		reviewed += st.Reviewed
	}
	b.StopTimer()
	if reviewed == 0 {
		b.Fatal("nothing was reviewed")
	}
	b.ReportMetric(float64(n.Load())/float64(b.N), "statements/batch")
	b.ReportMetric(float64(reviewed)/float64(b.N), "leads/batch")
	left, err := db.Client.Lead.Query().Where(lead.NextReviewAtLTE(now)).Count(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d batches reviewed %d leads; %d still due", b.N, reviewed, left)
}
