// Package irvm evaluates Rego queries from OPA's intermediate representation (the plan OPA's
// Wasm compiler consumes), as a rego target plugin several times faster than topdown.
package irvm

// The plan is the one `opa build -t plan` writes. Statements follow the semantics of OPA's Wasm
// compiler; values are this package's own (Value), ordered as OPA orders them; the built-ins a
// decision calls most are implemented here for their common case and every other call goes to
// OPA's own on the ast forms of its arguments, so a decision is the value topdown computes. The
// topdown interpreter pays for unification, bindings and backtracking on every expression, and
// OPA's values for a map and a hash per object; a plan on these values for none of it. Prepare a query with rego.Target(Target) under a context that carries
// the data document (WithData): the plugin interface hands a plan no store. Plans with
// statements this package does not run (with, dynamic calls, object merges) are refused at
// prepare time, so that a caller can fall back to topdown.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// Target is the name to pass to rego.Target.
const Target = "qualify.irvm"

func init() { rego.RegisterPlugin(Target, plugin{}) }

type dataKey struct{}

type captureKey struct{}

// Capture returns a context under which PrepareForEval also stores the prepared program in
// *dst, so that the caller can evaluate it with Program.Eval, without rego's per-evaluation
// setup (an evaluation context, the result set turned into bindings and expressions).
func Capture(ctx context.Context, dst **Program) context.Context {
	return context.WithValue(ctx, captureKey{}, dst)
}

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
	if prog.data, err = FromAST(data); err != nil {
		return nil, fmt.Errorf("irvm: data: %w", err)
	}
	if dst, ok := ctx.Value(captureKey{}).(**Program); ok {
		*dst = &Program{prog: prog}
	}
	return prog, nil
}

// Program is a prepared query plan, safe for concurrent use.
type Program struct{ prog *program }

// Options are what an evaluation may set; zero values are fine.
type Options struct {
	Cancel   topdown.Cancel // stops the evaluation when cancelled
	Deadline time.Time      // stops the evaluation when passed; zero means none
	Time     time.Time      // time.now_ns(); zero means now
	Seed     io.Reader      // randomness of rand.intn, uuid.rfc4122; nil means crypto/rand
}

// Builtins are the names of the built-in functions the plan calls, sorted.
func (p *Program) Builtins() []string { return slices.Clone(p.prog.calls) }

// Unrepeatable are the built-ins the plan calls whose answer a second evaluation, given the same
// time (Options.Time, rego.EvalTime), may not repeat: they draw random numbers or ask the
// network. A caller that checks the plan's answers against topdown cannot check theirs. OPA's
// other non-deterministic built-ins (time.now_ns, io.jwt.decode_verify) read only the time.
func (p *Program) Unrepeatable() []string {
	var out []string
	for _, name := range p.prog.calls {
		if b := ast.BuiltinMap[name]; b != nil && b.Nondeterministic && !timeOnly[name] {
			out = append(out, name)
		}
	}
	return out
}

var timeOnly = map[string]bool{ast.NowNanos.Name: true, ast.JWTDecodeVerify.Name: true}

// ErrUnplanned is returned (wrapped) by an evaluation that the plan cannot answer exactly as
// topdown does; the caller asks topdown instead.
var ErrUnplanned = errors.New("irvm: not answered by the plan")

// ErrPanic is returned (wrapped) by an evaluation that panicked: a bug here or in a built-in.
var ErrPanic = errors.New("irvm: the evaluation panicked")

// recovered turns a panic of an evaluation into an error.
func recovered(r any) error {
	return fmt.Errorf("%w: %v", ErrPanic, r)
}

// ErrDeadline is returned by Eval when Options.Deadline passes during the evaluation.
var ErrDeadline = errors.New("irvm: evaluation deadline passed")

// ErrShape is returned by Eval when the query has several results or bindings: Eval serves
// queries of one expression, such as data.pkg.rule.
var ErrShape = errors.New("irvm: the query has more than one result")

// Eval evaluates the query for input (nil for none) and returns the value of its expression;
// ok is false when the query is undefined. The result may share parts with input and with the
// data document: read it, do not change it.
func (p *Program) Eval(ctx context.Context, input Value, opts Options) (v Value, ok bool, err error) {
	m := newMachine(ctx, p.prog, opts.Cancel, false, opts.Time)
	m.deadline, m.bctx.Seed = opts.Deadline, opts.Seed
	defer func() {
		if r := recover(); r != nil {
			v, ok, err = nil, false, recovered(r) // the machine is dropped, not pooled
			return
		}
		m.release()
	}()
	rs, err := m.runPlan(input)
	if err != nil {
		return nil, false, err
	}
	switch rs.Len() {
	case 0:
		return nil, false, nil
	case 1:
		obj, isObj := rs.Elem(0).(*Object)
		if !isObj || obj.Len() != 1 {
			return nil, false, ErrShape
		}
		_, v := obj.Item(0)
		return v, true, nil
	}
	return nil, false, ErrShape
}

// Eval runs the plan once: it returns the result set, a set of objects binding the query's
// variables, as rego expects of a target plugin.
func (p *program) Eval(ctx context.Context, ectx *rego.EvalContext, _ ast.Value) (_ ast.Value, err error) {
	m := newMachine(ctx, p, ectx.ExternalCancel(), ectx.StrictBuiltinErrors(), ectx.Time())
	m.bctx.Metrics, m.bctx.Seed, m.bctx.PrintHook, m.bctx.Capabilities = ectx.Metrics(), ectx.Seed(), ectx.PrintHook(), ectx.Capabilities()
	defer func() {
		if r := recover(); r != nil {
			err = recovered(r)
			return
		}
		m.release()
	}()
	var in Value
	if input := ectx.ParsedInput(); input != nil {
		var err error
		if in, err = FromAST(input); err != nil {
			return nil, err
		}
	}
	rs, err := m.runPlan(in)
	if err != nil {
		return nil, err
	}
	return ToAST(rs), nil
}
