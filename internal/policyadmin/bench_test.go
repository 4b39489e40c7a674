package policyadmin_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/lifecycle"
	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/policyadmin"
	"github.com/qualify/qualify/internal/seed"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// BenchmarkSimulate simulates the lowered-MQL draft against the shipped bundle over seeded leads
// and reports leads per second. QUALIFY_BENCH_LEADS sets the size (default 2000),
// QUALIFY_BENCH_DB=postgres uses PostgreSQL (DATABASE_URL or testcontainers) instead of SQLite.
// Run with -benchtime=1x at 100k.
func BenchmarkSimulate(b *testing.B) {
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("QUALIFY_BENCH_LEADS")); err == nil && v > 0 {
		n = v
	}
	var db *store.DB
	if os.Getenv("QUALIFY_BENCH_DB") == "postgres" {
		db = testenv.Postgres(b)
	} else {
		db = testenv.SQLite(b)
	}
	ctx := context.Background()
	began := time.Now()
	if _, err := seed.Run(ctx, db.Client, seed.Options{Leads: n, Seed: 1, Now: time.Now().UTC().Truncate(time.Hour)}); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d leads on %s in %s", n, db.Dialect, time.Since(began).Round(time.Millisecond))
	engine := policy.New(policy.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), EvalTimeout: 10 * time.Second})
	files, err := policy.ReadDir(apitest.PoliciesDir())
	if err != nil {
		b.Fatal(err)
	}
	active, err := engine.Load(ctx, files, "bench")
	if err != nil {
		b.Fatal(err)
	}
	edits := map[string][]byte{}
	for _, f := range lowerMQL(b, apitest.PoliciesDir())["changed"].([]map[string]any) {
		edits[f["path"].(string)] = []byte(f["content"].(string))
	}
	draftFiles, err := files.With(edits)
	if err != nil {
		b.Fatal(err)
	}
	draft, rep := engine.Verify(ctx, draftFiles)
	if draft == nil {
		b.Fatalf("draft refused: %+v", rep.Problems)
	}
	lc := lifecycle.New(db.Client, engine)
	b.ResetTimer()
	var sim *policyadmin.PolicySimulation
	for b.Loop() {
		if sim, err = policyadmin.Compare(ctx, lc, active, draft, policyadmin.SimulateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	if sim.Leads+sim.Errors != n {
		b.Fatalf("simulated %d of %d leads, %d errors (%s)", sim.Leads, n, sim.Errors, sim.FirstError)
	}
	if sim.Errors > 0 {
		b.Logf("%d failed decisions, first: %s", sim.Errors, sim.FirstError)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "leads/s")
	b.StopTimer()
	// Reference in the same run: one decision on one core, on the first batch's inputs already
	// loaded. The pipeline's ideal is GOMAXPROCS / (2 × this) leads per second.
	var ins []lifecycle.Candidate
	_ = lc.ScanLeads(ctx, nil, 500, func(c []lifecycle.Candidate) error {
		ins = c
		return errStop
	})
	began = time.Now()
	for _, c := range ins {
		if _, _, err := active.DecideLead(ctx, c.Input); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(began).Microseconds())/float64(len(ins)), "µs/decision")
}

var errStop = errors.New("stop")
