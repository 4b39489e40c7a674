package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/qualify/qualify/internal/irvm"
)

// benchBundle is the shipped bundle when it exists, else the fixture; POLICY_BENCH=fixture
// forces the fixture, to tell the engine's cost from the policy's.
func benchBundle(b *testing.B) (Files, string) {
	dir, name := fixtureDir, "fixture"
	if hasRealBundle() && os.Getenv("POLICY_BENCH") != "fixture" {
		dir, name = realDir, "policies"
	}
	f, err := ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	return f, name
}

func benchEngine(b *testing.B) (*Engine, string) {
	files, name := benchBundle(b)
	// The deadline is generous: this measures speed, and a 2-core VM under a parallel benchmark
	// stalls single decisions for tens of milliseconds now and then.
	e := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), EvalTimeout: time.Second})
	rev, err := e.Load(context.Background(), files, "bench")
	if err != nil {
		b.Fatal(err)
	}
	<-rev.run.probed // the plans serve once the probe has checked them
	return e, name
}

// BenchmarkDecide measures one decision on a prepared revision with a realistic lead (an
// account, five contacts, ten activities). Besides the mean (ns/op) it reports the median and
// 99th percentile of single decisions; the target is a median ≤ 25µs.
func BenchmarkDecide(b *testing.B) {
	ctx := context.Background()
	e, name := benchEngine(b)
	in := realisticLead()

	b.Run("lead/"+name, func(b *testing.B) {
		b.ReportAllocs()
		durations := make([]time.Duration, 0, 1<<16)
		defer reportCPU(b)()
		for b.Loop() {
			start := time.Now()
			if _, _, err := e.DecideLead(ctx, in); err != nil {
				b.Fatal(err)
			}
			if len(durations) < cap(durations) {
				durations = append(durations, time.Since(start))
			}
		}
		slices.Sort(durations)
		b.ReportMetric(float64(durations[len(durations)/2].Nanoseconds()), "p50-ns")
		b.ReportMetric(float64(durations[len(durations)*99/100].Nanoseconds()), "p99-ns")
	})

	b.Run("lead-parallel/"+name, func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := e.DecideLead(ctx, in); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})

	// The same decision on OPA's topdown interpreter, which the plan evaluator replaced.
	b.Run("lead-topdown/"+name, func(b *testing.B) {
		b.ReportAllocs()
		rev := *e.Active()
		rev.programs[qLead] = nil
		defer reportCPU(b)()
		for b.Loop() {
			if _, _, err := rev.DecideLead(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
	})

	// The path not taken, for comparison: OPA converts the struct from and the result to JSON.
	b.Run("lead-via-json/"+name, func(b *testing.B) {
		b.ReportAllocs()
		rev := e.Active()
		for b.Loop() {
			ectx, cancel := context.WithTimeout(ctx, rev.timeout)
			rs, err := rev.queries[qLead].Eval(ectx, rego.EvalInput(in))
			cancel()
			if err != nil {
				b.Fatal(err)
			}
			raw, _ := json.Marshal(rs[0].Expressions[0].Value)
			var d LeadDecision
			if err := json.Unmarshal(raw, &d); err != nil {
				b.Fatal(err)
			}
		}
	})

	// The engine's own share: the same path (convert, evaluate on the plan evaluator, decode,
	// meta) for a decision that is a literal, so that the policy costs nothing.
	b.Run("lead-engine-only", func(b *testing.B) {
		b.ReportAllocs()
		rev := *e.Active()
		d := probeQualification()
		d.Stage = "mql"
		module := "package bench\n\ndecision := " + irvm.ToAST(leadDecisionValue(&d)).String()
		var prog *irvm.Program
		_, err := rego.New(rego.Query("data.bench.decision"), rego.Module("bench.rego", module), rego.Store(inmem.New()),
			rego.Target(irvm.Target)).PrepareForEval(irvm.Capture(irvm.WithData(ctx, ast.NewObject()), &prog))
		if err != nil {
			b.Fatal(err)
		}
		rev.programs[qLead] = prog
		for b.Loop() {
			if _, _, err := rev.DecideLead(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
	})

	// The plan evaluator's share: the lead decision on an input converted once.
	b.Run("lead-plan-only/"+name, func(b *testing.B) {
		b.ReportAllocs()
		rev := e.Active()
		input := leadInputValue(&in)
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := rev.evalPlan(ctx, rev.programs[qLead], qLead, input, time.Second, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("lead-input-conversion", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = leadInputValue(&in)
		}
	})

	q := TransitionInput{Lead: in.Lead, From: "mql", To: "sql", Actor: Actor{ID: "u", Role: "bdr"}, Trigger: "manual", Qualification: probeQualification()}
	b.Run("transition/"+name, func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := e.DecideTransition(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
	})

	az := AuthzInput{Principal: Principal{ID: "u", Role: "bdr", Team: "emea"}, Operation: Operation{Kind: "query", Name: "leads"}}
	b.Run("authz/"+name, func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := e.DecideAuthz(ctx, az); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkVerify is the cost of the whole pipeline (read, compile, tests, prepare, probe) that
// stands between a save and activation.
func BenchmarkVerify(b *testing.B) {
	files, name := benchBundle(b)
	e := New(Options{})
	e.cfg.last = nil // every iteration verifies; none reuses the one before
	b.Run(name, func(b *testing.B) {
		for b.Loop() {
			if _, rep := e.Verify(context.Background(), files); !rep.OK() {
				b.Fatal(rep.Problems)
			}
		}
	})
}

// BenchmarkSaveToActive is the latency from saving a bundle in a watched directory (data.json,
// then .manifest, which releases it) to decisions being made on it (target: median ≤ 1s), and,
// as "refused", to the refusal of a save whose test fails (as fast): debounce, read, verify,
// swap. Besides the mean it reports the median and the 1-minute load average at the end.
func BenchmarkSaveToActive(b *testing.B) {
	files, _ := benchBundle(b)
	failing := "package qualify.zz_bench_test\n\ntest_fails if false\n"
	for _, refused := range []bool{false, true} {
		name := "active"
		if refused {
			name = "refused"
		}
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			writeTree(b, dir, files)
			e := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			src := NewDirSource(e, dir, DirOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err := src.Sync(ctx); err != nil {
				b.Fatal(err)
			}
			go func() { _ = src.Run(ctx) }()
			data, _ := files.Get("data.json")
			manifest, _ := files.Get(".manifest")
			var took []time.Duration
			i := 0
			defer reportCPU(b)()
			for b.Loop() {
				i++
				// A trailing newline per save changes the hash and nothing else.
				edits := map[string]string{"data.json": string(data) + strings.Repeat("\n", i), ".manifest": string(manifest)}
				if refused {
					edits["qualify/zz_bench_test.rego"] = failing + strings.Repeat("\n", i)
				}
				want := edit(b, files, edits).Hash()
				start := time.Now()
				for _, p := range []string{"qualify/zz_bench_test.rego", "data.json", ".manifest"} {
					if c, ok := edits[p]; ok {
						if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(p)), []byte(c), 0o644); err != nil {
							b.Fatal(err)
						}
					}
				}
				for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
					if r, ok := e.LastRefused(); refused && ok && r.Hash == want {
						break
					} else if !refused && e.Active().Hash() == want {
						break
					} else if time.Now().After(deadline) {
						b.Fatalf("save not taken after 10s; last refusal: %v", r.Problems)
					}
				}
				took = append(took, time.Since(start))
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "median-ms")
			if raw, err := os.ReadFile("/proc/loadavg"); err == nil {
				var load float64
				if _, err := fmt.Sscan(string(raw), &load); err == nil {
					b.ReportMetric(load, "load1")
				}
			}
		})
	}
}

// reportCPU reports the process's CPU time (user and system, GC included) per operation when
// the returned function runs: on a shared machine, wall-clock figures include the time other
// processes hold the cores, CPU time does not.
func reportCPU(b *testing.B) func() {
	before := cpuTime()
	return func() {
		b.ReportMetric(float64((cpuTime()-before).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPlanProbe is the plan probe's share of verification: the generated inputs asked of
// every decision on both evaluators (probegen.go).
func BenchmarkPlanProbe(b *testing.B) {
	files, name := benchBundle(b)
	rev := mustLoad(b, New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}), files)
	bundle, err := readBundle(files)
	if err != nil {
		b.Fatal(err)
	}
	data, err := ast.InterfaceToValue(bundle.Data)
	if err != nil {
		b.Fatal(err)
	}
	b.Run(name, func(b *testing.B) {
		done := reportCPU(b)
		for b.Loop() {
			rev.checkPlans(context.Background(), probeInputs(data))
		}
		done()
	})
	for _, ev := range rev.Evaluators() {
		if ev.Evaluator != EvaluatorPlan && rev.planNotes[ev.Query] == nil {
			b.Fatalf("%s: %s", ev.Query, ev.Reason)
		}
	}
}
