package irvm_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/test/cases"
	"github.com/open-policy-agent/opa/v1/test/cases/testdata"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/util"

	"github.com/qualify/qualify/internal/irvm"
)

// OPA's own conformance cases (test/cases/testdata/v1 of the OPA module in go.mod) on the plan
// evaluator beside topdown. A case is refused when OPA's planner or this evaluator refuses its
// plan, or when the plan calls a non-deterministic built-in (the policy engine serves those on
// topdown too). An evaluation the plan does not answer (an error, a panic, ErrUnplanned) steps
// aside: the policy engine asks topdown, so the answer and the error are OPA's. Every answer
// the plan gives must be topdown's, and topdown must not error where the plan answers.
//
// Skipped categories, and why: none is skipped for relevance. Cases that set environment
// variables (opa.runtime().env) are run like the others, without the variables: both
// evaluators see the same process.
func TestOPAConformance(t *testing.T) {
	var set []cases.TestCase
	err := fs.WalkDir(testdata.V1, "v1", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		bs, err := fs.ReadFile(testdata.V1, p)
		if err != nil {
			return err
		}
		var s cases.Set
		if err := util.Unmarshal(bs, &s); err != nil {
			return err
		}
		for i := range s.Cases {
			s.Cases[i].Filename = p
		}
		set = append(set, s.Cases...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(set) < 1000 {
		t.Fatalf("only %d conformance cases in OPA's module", len(set))
	}
	var tally conformanceTally
	byDir := map[string][]cases.TestCase{}
	for _, tc := range set {
		dir := path.Base(path.Dir(tc.Filename))
		byDir[dir] = append(byDir[dir], tc)
	}
	t.Run("cases", func(t *testing.T) {
		for dir, tcs := range byDir {
			t.Run(dir, func(t *testing.T) {
				t.Parallel()
				for _, tc := range tcs {
					runCase(t, tc, &tally)
				}
			})
		}
	})
	t.Logf("OPA conformance cases: %d run, %d refused, %d stepped aside (topdown answers), %d agreed, %d disagreed",
		tally.run.Load(), tally.refused.Load(), tally.aside.Load(), tally.agreed.Load(), tally.disagreed.Load())
	t.Logf("of those stepped aside, topdown errs too with the plan's error code in %d", tally.sameError.Load())
	if tally.agreed.Load() < tally.run.Load()*8/10 {
		t.Errorf("the plan answers only %d of %d cases: it refuses or steps aside too often", tally.agreed.Load(), tally.run.Load())
	}
}

type conformanceTally struct {
	run, refused, aside, agreed, disagreed, sameError atomic.Int64
}

// conformanceNow and conformanceSeed make time.now_ns and the random built-ins the same on both.
var conformanceNow = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

func conformanceSeed() *bytes.Reader { return bytes.NewReader(bytes.Repeat([]byte{7}, 4096)) }

func runCase(t *testing.T, tc cases.TestCase, tally *conformanceTally) {
	tally.run.Add(1)
	ctx := context.Background()
	opts := []func(*rego.Rego){rego.Query(tc.Query), rego.StrictBuiltinErrors(tc.StrictError)}
	for i, m := range tc.Modules {
		opts = append(opts, rego.Module(tc.Filename+"/"+string(rune('a'+i))+".rego", m))
	}
	data := map[string]any{}
	if tc.Data != nil {
		data = *tc.Data
	}
	dataValue, err := ast.InterfaceToValue(data)
	if err != nil {
		tally.refused.Add(1)
		return
	}
	var input ast.Value
	switch {
	case tc.InputTerm != nil:
		var term *ast.Term
		if term, err = ast.ParseTerm(*tc.InputTerm); err == nil {
			input = term.Value
		}
	case tc.Input != nil:
		input, err = ast.InterfaceToValue(*tc.Input)
	}
	if err != nil {
		tally.refused.Add(1)
		return
	}
	evalOpts := func() []rego.EvalOption {
		o := []rego.EvalOption{rego.EvalTime(conformanceNow), rego.EvalSeed(conformanceSeed())}
		if input != nil {
			o = append(o, rego.EvalParsedInput(input))
		}
		return o
	}
	td, err := rego.New(append(slices.Clone(opts), rego.Store(inmem.NewFromObject(data)))...).PrepareForEval(ctx)
	if err != nil {
		tally.refused.Add(1) // a compile error: nothing to evaluate
		return
	}
	var prog *irvm.Program
	vm, err := rego.New(append(slices.Clone(opts), rego.Store(inmem.NewFromObject(data)), rego.Target(irvm.Target))...).
		PrepareForEval(irvm.Capture(irvm.WithData(ctx, dataValue), &prog))
	if err != nil || prog == nil || len(prog.Unrepeatable()) > 0 {
		tally.refused.Add(1)
		t.Logf("%s: refused: %v", tc.Note, err)
		return
	}
	want, werr := td.Eval(ctx, evalOpts()...)
	got, gerr := safeEval(ctx, vm, evalOpts())
	if gerr != nil {
		tally.aside.Add(1)
		var we, ge *topdown.Error
		if errors.As(werr, &we) && errors.As(gerr, &ge) && we.Code == ge.Code {
			tally.sameError.Add(1)
		} else {
			t.Logf("%s: the plan errs (%v), topdown answers %v (%v)", tc.Note, gerr, want, werr)
		}
		return
	}
	if werr != nil {
		tally.disagreed.Add(1)
		t.Errorf("%s (%s): topdown errs %v; the plan answers %v", tc.Note, tc.Filename, werr, got)
		return
	}
	if w, g := canonical(want, tc.SortBindings), canonical(got, tc.SortBindings); w != g {
		tally.disagreed.Add(1)
		t.Errorf("%s (%s):\n topdown %s\n plan    %s", tc.Note, tc.Filename, w, g)
		return
	}
	tally.agreed.Add(1)
}

// safeEval evaluates on the plan; a panic escaping it is a failure of the evaluator's own
// recover, reported as an error that the comparison then shows.
func safeEval(ctx context.Context, pq rego.PreparedEvalQuery, opts []rego.EvalOption) (rs rego.ResultSet, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("panic escaped the plan evaluator")
		}
	}()
	return pq.Eval(ctx, opts...)
}

// canonical is a result set as sorted text: the bindings the query names (generated ones
// dropped) and the expressions' values; with sortBindings, arrays compare as sets.
func canonical(rs rego.ResultSet, sortBindings bool) string {
	var out []string
	for _, r := range rs {
		obj := ast.NewObject()
		for k, v := range r.Bindings {
			if strings.HasPrefix(k, "__") || strings.HasPrefix(k, "$") {
				continue
			}
			val, err := ast.InterfaceToValue(v)
			if err != nil {
				return err.Error()
			}
			if sortBindings {
				val = arraysAsSets(val)
			}
			obj.Insert(ast.StringTerm(k), ast.NewTerm(val))
		}
		var exprs []string
		for _, e := range r.Expressions {
			val, err := ast.InterfaceToValue(e.Value)
			if err != nil {
				return err.Error()
			}
			exprs = append(exprs, val.String())
		}
		out = append(out, obj.String()+" "+strings.Join(exprs, ","))
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}

func arraysAsSets(v ast.Value) ast.Value {
	if a, ok := v.(*ast.Array); ok {
		s := ast.NewSet()
		a.Foreach(func(t *ast.Term) { s.Add(t) })
		return s
	}
	return v
}
