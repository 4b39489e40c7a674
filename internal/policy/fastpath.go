package policy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"

	"github.com/qualify/qualify/internal/irvm"
)

// Evaluators. Decisions run on OPA's plan of the query (internal/irvm), several times faster
// than the topdown interpreter; topdown stays prepared beside it and is OPA's answer wherever
// the plan's could differ:
//
//   - a plan the evaluator refuses, or one that calls a non-deterministic built-in, is never used;
//   - a plan serves its decision only once it answered a generated probe (probegen.go) exactly
//     as topdown; the probe runs in the background after verification, so that it adds nothing
//     to the time from a save to activation, and topdown serves meanwhile;
//   - a plan evaluation that errors, panics or steps aside (irvm.ErrUnplanned) is answered again
//     by topdown, so every error a caller sees is OPA's own;
//   - a sample of live answers is re-evaluated on topdown in the background (shadow.go), and a
//     disagreement moves that decision of that revision to topdown at once.
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
		if random := prog.Unrepeatable(); len(random) > 0 {
			notes[name] = fmt.Errorf("calls %s, whose answers no second evaluation can confirm", strings.Join(random, ", "))
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

// plan is the program serving query q, nil when topdown serves it.
func (r *Revision) plan(q int) *irvm.Program {
	if r.programs[q] == nil || !r.run.promoted[q].Load() || r.run.demoted[q].Load() != nil {
		return nil
	}
	return r.programs[q]
}

// eval runs one prepared query under the revision's deadline: on its plan when it has one, on
// topdown when not, and on topdown again whenever the plan does not answer.
func (r *Revision) eval(ctx context.Context, q int, input irvm.Value, timeout time.Duration) (irvm.Value, error) {
	ctx, end := r.traceDecision(ctx, q)
	v, err := r.evalAt(ctx, q, input, timeout, time.Now())
	end(err)
	return v, err
}

// evalAt is eval at a given time.now_ns.
func (r *Revision) evalAt(ctx context.Context, q int, input irvm.Value, timeout time.Duration, now time.Time) (irvm.Value, error) {
	p := r.plan(q)
	if p == nil {
		if r.programs[q] != nil && r.run.probed != nil { // nil while verify itself decides
			r.startProbe() // a draft's first decision; nothing once started
		}
		return r.evalTopdown(ctx, q, input, timeout, now)
	}
	v, err := r.evalPlan(ctx, p, q, input, timeout, now)
	if err == nil || errors.Is(err, ErrUndefined) {
		r.run.shadow.offer(r, q, input, v, now)
		return v, err
	}
	if !askTopdown(ctx, err) {
		return nil, err
	}
	r.fellBack(q, err)
	return r.evalTopdown(ctx, q, input, timeout, now)
}

// stopProbe stops the probe of a revision, if it runs.
func (r *Revision) stopProbe() {
	r.run.probeOnce.Do(func() { close(r.run.probed) }) // never to start
	if r.run.stopProbe != nil {
		r.run.stopProbe()
	}
}

// askTopdown says whether topdown answers after the plan failed with err: always, but for a
// deadline (topdown would need as long again) or a caller that gave up.
func askTopdown(ctx context.Context, err error) bool {
	return ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded)
}

// fellBack counts a plan evaluation that topdown answered, and logs the first per query.
func (r *Revision) fellBack(q int, err error) {
	reason := "error"
	switch {
	case errors.Is(err, irvm.ErrPanic):
		reason = "panic"
	case errors.Is(err, irvm.ErrUnplanned):
		reason = "unplanned"
	}
	r.run.metrics.fallbacks.WithLabelValues(queryNames[q], reason).Inc()
	if r.run.loggedFallback[q].CompareAndSwap(false, true) {
		r.run.log.Warn("policy plan evaluation answered by topdown", "revision", r.id, "hash", shortHash(r.hash),
			"query", queryNames[q], "reason", reason, "err", err)
	}
}

// demote moves query q of this revision to topdown for good, as when the plan disagreed with
// topdown on a live decision.
func (r *Revision) demote(q int, why string) {
	if r.programs[q] == nil || !r.run.demoted[q].CompareAndSwap(nil, &why) {
		return
	}
	r.run.metrics.demotions.WithLabelValues(queryNames[q]).Inc()
	r.run.log.Error("policy decision moved to topdown: the plan disagreed with it", "revision", r.id,
		"hash", shortHash(r.hash), "query", queryNames[q], "why", why)
}

// sameAnswer compares two evaluations of one decision: the same value, or both undefined.
func sameAnswer(want ast.Value, werr error, got irvm.Value, gerr error) bool {
	wu, gu := errors.Is(werr, ErrUndefined), errors.Is(gerr, ErrUndefined)
	switch {
	case wu || gu:
		return wu && gu
	case werr != nil || gerr != nil:
		return false
	}
	return ast.Compare(want, irvm.ToAST(got)) == 0
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
		switch {
		case rev.programs[q] == nil:
			out[q].Evaluator = EvaluatorTopdown
			if why := rev.planNotes[name]; why != nil {
				out[q].Reason = why.Error()
			}
		case rev.run.demoted[q].Load() != nil:
			out[q].Evaluator = EvaluatorTopdown
			out[q].Reason = *rev.run.demoted[q].Load()
		case !rev.run.promoted[q].Load():
			out[q].Evaluator = EvaluatorTopdown
			out[q].Reason = "the plan is being checked against topdown on the probe inputs"
		}
	}
	return out
}
