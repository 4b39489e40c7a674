package policy

import (
	"context"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"

	"github.com/qualify/qualify/internal/irvm"
)

// Evaluators. Decisions run on OPA's plan of the query (internal/irvm), several times faster
// than the topdown interpreter; topdown stays prepared beside it, serves any query the plan
// cannot, and checks the plan's answers on the probe inputs before a revision is accepted.
const (
	EvaluatorPlan    = "plan"
	EvaluatorTopdown = "topdown"
)

// preparePlans prepares each decision query on the plan evaluator, after every topdown query
// (rego marks the shared compiler for planning). A query the evaluator refuses stays on
// topdown; why is returned per query, for the log.
func (rev *Revision) preparePlans(ctx context.Context, compiler *ast.Compiler, store storage.Store) map[string]error {
	notes := map[string]error{}
	data, err := dataDocument(ctx, store)
	for q, name := range queryNames {
		if err != nil {
			notes[name] = err
			continue
		}
		var prog *irvm.Program
		_, perr := rego.New(rego.Query(name), rego.Compiler(compiler), rego.Store(store), rego.Target(irvm.Target)).
			PrepareForEval(irvm.Capture(irvm.WithData(ctx, data), &prog))
		if perr != nil {
			notes[name] = perr
			continue
		}
		rev.programs[q] = prog
	}
	return notes
}

// dataDocument is the bundle's whole data document, as the plan evaluator takes it.
func dataDocument(ctx context.Context, store storage.Store) (ast.Value, error) {
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		return nil, err
	}
	defer store.Abort(ctx, txn)
	raw, err := store.Read(ctx, txn, storage.Path{})
	if err != nil {
		return nil, err
	}
	if v, ok := raw.(ast.Value); ok {
		return v, nil
	}
	return ast.InterfaceToValue(raw)
}

// agree evaluates input on both evaluators of query q and reports a difference; a query
// whose plan disagrees with topdown on any probe input is served by topdown.
func (rev *Revision) agree(ctx context.Context, q int, input irvm.Value) error {
	if rev.programs[q] == nil {
		return nil
	}
	want, werr := rev.evalOn(ctx, rev.queries[q], q, irvm.ToAST(input), rev.timeout*5)
	got, gerr := rev.evalPlan(ctx, q, input, rev.timeout*5)
	switch {
	case (werr == nil) != (gerr == nil):
		return fmt.Errorf("topdown: %v, plan: %v", werr, gerr)
	case werr == nil && ast.Compare(want, irvm.ToAST(got)) != 0:
		return fmt.Errorf("topdown: %v, plan: %v", want, irvm.ToAST(got))
	}
	return nil
}

// checkPlans puts on topdown every query whose plan answers a probe input differently.
func (rev *Revision) checkPlans(ctx context.Context) {
	inputs := map[int][]irvm.Value{}
	for _, c := range probeLeadInputs() {
		inputs[qLead] = append(inputs[qLead], leadInputValue(&c.in))
	}
	for _, c := range probeTransitionInputs() {
		inputs[qTransition] = append(inputs[qTransition], transitionInputValue(&c.in))
	}
	routing, authz := probeRoutingInput(), probeAuthzInput()
	inputs[qRouting] = []irvm.Value{routingInputValue(&routing)}
	inputs[qAuthz] = []irvm.Value{authzInputValue(&authz)}
	for q, ins := range inputs {
		for _, in := range ins {
			if err := rev.agree(ctx, q, in); err != nil {
				rev.programs[q] = nil
				rev.planNotes[queryNames[q]] = fmt.Errorf("plan disagrees with topdown on a probe input: %w", err)
				break
			}
		}
	}
}

// EvaluatorStatus says how one decision of a revision is evaluated.
type EvaluatorStatus struct {
	Query     string
	Evaluator string // EvaluatorPlan or EvaluatorTopdown
	Reason    string // why topdown serves the query; "" on the plan evaluator
}

// Evaluators says, per decision query, which evaluator serves it.
func (rev *Revision) Evaluators() []EvaluatorStatus {
	out := make([]EvaluatorStatus, len(queryNames))
	for q, name := range queryNames {
		out[q] = EvaluatorStatus{Query: name, Evaluator: EvaluatorPlan}
		if rev.programs[q] == nil {
			out[q].Evaluator = EvaluatorTopdown
			if why := rev.planNotes[name]; why != nil {
				out[q].Reason = why.Error()
			}
		}
	}
	return out
}
