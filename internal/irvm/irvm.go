// Package irvm evaluates Rego queries from OPA's intermediate representation (the plan that
// `opa build -t plan` writes): a rego target plugin that runs a prepared query several times
// faster than the topdown interpreter, which pays for unification, bindings and backtracking
// on every expression. The plan is the one OPA's own Wasm compiler consumes; this package
// follows that compiler's semantics statement by statement, and calls OPA's own built-in
// functions, so a decision is the same value topdown computes.
//
// Use it by preparing a query with rego.Target(irvm.Target) under a context that carries the
// data document (WithData): the plugin interface hands a plan no store.
//
// Plans with statements this package does not run (with, dynamic calls, object merges) are
// refused at prepare time, so a caller can fall back to topdown.
package irvm

import (
	"context"
	"errors"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/rego"
)

// Target is the name to pass to rego.Target.
const Target = "qualify.irvm"

func init() { rego.RegisterPlugin(Target, plugin{}) }

type dataKey struct{}

// WithData returns a context that makes PrepareForEval plan against data, the whole data
// document (base documents only; rules are planned from the compiler's modules).
func WithData(ctx context.Context, data ast.Value) context.Context {
	return context.WithValue(ctx, dataKey{}, data)
}

// ErrNoData is returned by PrepareForEval when the context carries no data document.
var ErrNoData = errors.New("irvm: prepare under irvm.WithData")

type plugin struct{}

func (plugin) IsTarget(t string) bool { return t == Target }

func (plugin) PrepareForEval(ctx context.Context, p *ir.Policy, _ ...rego.PrepareOption) (rego.TargetPluginEval, error) {
	data, ok := ctx.Value(dataKey{}).(ast.Value)
	if !ok {
		return nil, ErrNoData
	}
	prog, err := compile(p)
	if err != nil {
		return nil, fmt.Errorf("irvm: %w", err)
	}
	prog.data = ast.NewTerm(data)
	return prog, nil
}

// Eval runs the plan once: it returns the result set, a set of objects binding the query's
// variables, as rego expects of a target plugin.
func (p *program) Eval(ctx context.Context, ectx *rego.EvalContext, _ ast.Value) (ast.Value, error) {
	m := newMachine(ctx, p, ectx)
	defer m.release()
	input := ectx.ParsedInput()
	var in *ast.Term
	if input != nil {
		in = ast.NewTerm(input)
	}
	return m.runPlan(in)
}
