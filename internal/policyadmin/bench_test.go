package policyadmin_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"syscall"
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
// Run with -benchtime=1x at 100k. Besides leads/s it reports the process's CPU per lead, and
// references measured in the same run that split a lead's cost between its two decisions and
// the rest (see below).
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
	// Statistics, as autovacuum gathers them within a minute of a bulk load: a freshly loaded
	// PostgreSQL plans the batch reads with seq scans and reads twice as slowly. QUALIFY_BENCH_FRESH=1
	// measures that state.
	if os.Getenv("QUALIFY_BENCH_FRESH") == "" {
		if _, err := db.SQL.ExecContext(ctx, "ANALYZE"); err != nil {
			b.Fatal(err)
		}
	}
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
	cpu := cpuTime()
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
	// CPU time of this process per lead, which other processes on the machine do not inflate as
	// they do wall time (PostgreSQL's own work is not in it).
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(n*b.N), "cpu-µs/lead")
	b.StopTimer()
	// References in the same run, to split a lead's cost into its two decisions and the rest:
	// one decision on one core on already loaded inputs (the pipeline's ideal is GOMAXPROCS /
	// (2 × this) leads per second); the same simulation with a trivial lead policy, whose
	// decisions cost next to nothing in rule evaluation; and the reading alone, on one goroutine.
	trivial := trivialLeadPolicy(b, engine, files)
	began, cpu = time.Now(), cpuTime()
	if _, err := policyadmin.Compare(ctx, lc, trivial, trivial, policyadmin.SimulateOptions{}); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n)/time.Since(began).Seconds(), "trivial-leads/s")
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(n), "trivial-cpu-µs/lead")
	var ins []lifecycle.Candidate
	read := 0
	began = time.Now()
	_ = lc.ScanLeads(ctx, nil, 500, func(c []lifecycle.Candidate) error {
		if ins == nil {
			ins = slices.Clone(c)
		}
		read += len(c)
		return nil
	})
	b.ReportMetric(float64(time.Since(began).Microseconds())/float64(read), "µs/lead-read")
	for name, rev := range map[string]*policy.Revision{"µs/decision": active, "µs/trivial-decision": trivial} {
		began = time.Now()
		for _, c := range ins {
			if _, _, err := rev.DecideLead(ctx, c.Input); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(time.Since(began).Microseconds())/float64(len(ins)), name)
	}
}

// trivialLeadPolicy is the bundle with a lead decision that looks at nothing: what a simulation
// costs besides rule evaluation.
func trivialLeadPolicy(b *testing.B, engine *policy.Engine, files policy.Files) *policy.Revision {
	b.Helper()
	const rego = `package qualify.lead

decision := {
	"fit_score": 0, "engagement_score": 0, "score": 0, "grade": "D", "temperature": "cold",
	"bant": {"budget": "unknown", "authority": "unknown", "need": "unknown", "timing": "unknown", "confirmed": 0, "status": "unqualified"},
	"coverage": {"decision_maker": false, "recommender": false, "influencer": false},
	"project_signal": false, "stage": "lead", "reasons": [],
}
`
	fs, err := files.With(map[string][]byte{"qualify/lead/lead.rego": []byte(rego), "qualify/lead/lead_test.rego": nil,
		"qualify/lead/score.rego": nil, "qualify/lead/score_test.rego": nil})
	if err != nil {
		b.Fatal(err)
	}
	rev, rep := engine.Verify(context.Background(), fs)
	if rev == nil {
		b.Fatalf("trivial bundle refused: %+v", rep.Problems)
	}
	return rev
}

// cpuTime is the user and system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
