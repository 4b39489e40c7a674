package policy

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/qualify/qualify/internal/irvm"
)

// The differential fuzz target: what the engine serves on the shipped bundle and on edited
// bundles with the features where the plan evaluator once answered differently (walk, a number
// key into data, a conflict in a body OPA skips, a conflict OPA reports) is what topdown
// answers, errors included. `make test` runs it for a bounded time (test-fuzz).

// fuzzEdits are the edited bundles: rules added to the shipped transition package.
var fuzzEdits = map[string]string{
	"walk": `fuzz_paths := [p | walk(input, [p, v]); v == "walk-me"]

refusals contains refusal("FUZZ_WALK", sprintf("%d paths", [count(fuzz_paths)])) if count(fuzz_paths) > 0
`,
	"number key": `refusals contains refusal("FUZZ_KEY", sprintf("bonus %d", [b])) if {
	b := data.qualify.config.fuzz_bonus[count(input.qualification.reasons)]
}

refusals contains refusal("FUZZ_INDEX", x) if {
	x := data.qualify.config.fuzz_list[input.reason]
}
`,
	"early exit": `fuzz_tier := 1 if input.actor.role == "ae"

fuzz_tier := 2 if input.actor.role == "ae"

fuzz_boosted if input.to == "sql"

fuzz_boosted if fuzz_tier > 0

refusals contains refusal("FUZZ_BOOST", "boosted") if fuzz_boosted
`,
	"conflict": `fuzz_level := 1 if input.trigger == "api"

fuzz_level := 2 if input.trigger == "api"

refusals contains refusal("FUZZ_LEVEL", sprintf("%d", [fuzz_level])) if fuzz_level > 0
`,
}

type fuzzBundle struct {
	name string
	rev  *Revision
	data ast.Value
}

var (
	fuzzOnce    sync.Once
	fuzzBundles []fuzzBundle
	fuzzErr     error
)

func loadFuzzBundles(tb testing.TB) []fuzzBundle {
	tb.Helper()
	fuzzOnce.Do(func() {
		shipped, err := ReadDir(realDir)
		if err != nil {
			fuzzErr = err
			return
		}
		// Without their tests (TestRealBundle runs them): a worker loads every bundle at start.
		noTests := map[string][]byte{}
		for _, p := range shipped.Paths() {
			if isTestFile(p) {
				noTests[p] = nil
			}
		}
		if shipped, err = shipped.With(noTests); err != nil {
			fuzzErr = err
			return
		}
		load := func(name string, f Files) {
			if fuzzErr != nil {
				return
			}
			e := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), EvalTimeout: 10 * time.Second, ShadowRate: -1})
			rev, err := e.Load(context.Background(), f, "fuzz")
			if err != nil {
				fuzzErr = err
				return
			}
			<-rev.run.probed
			b, err := readBundle(f)
			if err != nil {
				fuzzErr = err
				return
			}
			data, err := ast.InterfaceToValue(b.Data)
			fuzzBundles, fuzzErr = append(fuzzBundles, fuzzBundle{name, rev, data}), err
		}
		load("shipped", shipped)
		data := strings.Replace(string(mustGet(realDir+"/data.json")), `"config": {`,
			`"config": {"fuzz_bonus": {"1": 1, "2": 2, "3": 3}, "fuzz_list": ["zero", "one"],`, 1)
		for _, name := range []string{"walk", "number key", "early exit", "conflict"} {
			load(name, edit(tb, shipped, map[string]string{
				"qualify/transition/fuzz.rego": "package qualify.transition\n\n" + fuzzEdits[name],
				"data.json":                    data,
			}))
		}
	})
	if fuzzErr != nil {
		tb.Fatal(fuzzErr)
	}
	return fuzzBundles
}

func FuzzServedIsOPAs(f *testing.F) {
	for b := range 5 {
		f.Add(uint8(b), uint64(b), "walk-me")
		f.Add(uint8(b), uint64(b+7), "1")
		f.Add(uint8(b), uint64(b+13), "")
	}
	// Loaded before fuzzing starts: a worker that takes seconds on its first input counts as hung.
	bundles := loadFuzzBundles(f)
	f.Fuzz(func(t *testing.T, which uint8, seed uint64, s string) {
		b := bundles[int(which)%len(bundles)]
		v := newVocab(b.data, seed)
		lead := v.leadInput()
		lead.Lead.ID = s
		tr := v.transitionInput()
		tr.Reason = s
		if seed%3 == 0 {
			tr.Actor.Role, tr.Trigger = "ae", "api"
		}
		routing := RoutingInput{Lead: v.lead(), Account: v.account(), To: v.stage()}
		authz := AuthzInput{Principal: Principal{ID: s, Role: v.oneOf("bdr", "ae", "admin"), Team: v.oneOf("emea", "")},
			Operation: Operation{Kind: v.oneOf("query", "mutation"), Name: v.cycle("operation")}}
		sched := v.scheduleInput()
		sched.Lead.ID = s
		inputs := [numQueries]irvm.Value{leadInputValue(&lead), transitionInputValue(&tr), routingInputValue(&routing), authzInputValue(&authz),
			scheduleInputValue(&sched)}
		for q, in := range inputs {
			servedIsOPAs(t, b, q, in)
		}
	})
}

// servedIsOPAs compares what the engine serves for q with topdown's answer.
func servedIsOPAs(t *testing.T, b fuzzBundle, q int, input irvm.Value) {
	t.Helper()
	ctx := context.Background()
	now, _ := time.Parse(time.RFC3339, probeNow)
	got, gerr := b.rev.evalAt(ctx, q, input, 10*time.Second, now)
	want, werr := b.rev.evalOn(ctx, b.rev.queries[q], q, irvm.ToAST(input), 10*time.Second, now)
	if werr != nil && !errors.Is(werr, ErrUndefined) {
		if gerr == nil || gerr.Error() != werr.Error() {
			t.Fatalf("%s, %s on %v:\n topdown errs %v\n served      %v %v", b.name, queryNames[q], irvm.ToAST(input), werr, got, gerr)
		}
		return
	}
	if !sameAnswer(want, werr, got, gerr) {
		t.Fatalf("%s, %s on %v:\n topdown %v %v\n served  %v %v", b.name, queryNames[q], irvm.ToAST(input), want, werr, got, gerr)
	}
}
