package policy

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/irvm"
	"github.com/qualify/qualify/internal/normalize"
)

// The decisions a revision prepares, indexes into Revision.queries.
const (
	qLead = iota
	qTransition
	qRouting
	qAuthz
	qSchedule
	numQueries
)

var queryNames = [numQueries]string{QueryLead, QueryTransition, QueryRouting, QueryAuthz, QuerySchedule}

// ErrNoActivePolicy is returned by the Engine's decisions before the first bundle is active.
var ErrNoActivePolicy = errors.New("policy: no active policy revision")

// Sentinels inside an *EvalError, for errors.Is.
var (
	ErrUndefined  = errors.New("decision is undefined")
	ErrWrongShape = errors.New("decision of the wrong shape")
	ErrPanicked   = errors.New("policy evaluation panicked")
)

// EvalError is a decision that could not be made: the policy errored, ran past its deadline
// (errors.Is(err, context.DeadlineExceeded)), was undefined (ErrUndefined) or answered in a shape
// contract.go does not accept (ErrWrongShape). Nothing changes when a decision fails.
type EvalError struct {
	Query    string
	Revision string
	Hash     string
	Err      error
}

func (e *EvalError) Error() string {
	return fmt.Sprintf("policy %s (revision %q, %s): %v", e.Query, e.Revision, shortHash(e.Hash), e.Err)
}

func (e *EvalError) Unwrap() error { return e.Err }

// Timeout reports whether the evaluation was stopped by its deadline.
func (e *EvalError) Timeout() bool { return errors.Is(e.Err, context.DeadlineExceeded) }

// As lets a timed-out decision read as a *domainerr.PolicyTimeoutError (and so as a
// domainerr.Coded): wherever it surfaces, the API answers POLICY_TIMEOUT naming the decision
// and the revision rather than a bare TIMEOUT.
func (e *EvalError) As(target any) bool {
	if !e.Timeout() {
		return false
	}
	pt := &domainerr.PolicyTimeoutError{Decision: e.Query, Revision: e.Revision, RevisionHash: e.Hash, Err: e.Err}
	switch t := target.(type) {
	case **domainerr.PolicyTimeoutError:
		*t = pt
	case *domainerr.Coded:
		*t = pt
	default:
		return false
	}
	return true
}

// Meta says which policy made a decision; lifecycle writes it into the stage history.
type Meta struct {
	Revision   string // from .manifest
	Hash       string // content hash of the bundle
	DecisionID string // 26 characters, Crockford base32, sorts by creation time
}

// Revision is one verified bundle version with its queries prepared. It is immutable and safe
// for concurrent use; decisions made on it always see this version, whether it is active, was
// superseded a moment ago, or was never activated (a draft being simulated).
type Revision struct {
	id       string
	hash     string
	source   string
	loadedAt time.Time
	files    Files
	report   *Report
	stages   []Stage // by position
	stageSet map[string]struct{}
	// industries is the closed vocabulary of account industries (vocabulary.go).
	industries *normalize.Industries
	schedule   ScheduleConfig // config.schedule: the SLA report's calendar and rules
	timeout    time.Duration
	queries    [numQueries]rego.PreparedEvalQuery // topdown
	programs   [numQueries]*irvm.Program          // the plans; nil where topdown serves the query
	// planNotes says, per query, why topdown serves it (the plan evaluator refused the plan or
	// disagreed with topdown on a probe input).
	planNotes map[string]error
	run       *planRun                  // what serving teaches about the plans (fastpath.go)
	rules     [numQueries]*ast.Location // where each decision is defined, to locate probe problems
}

// ID returns the .manifest revision ("" when the manifest has none).
func (r *Revision) ID() string { return r.id }

// Hash returns the content hash of the bundle.
func (r *Revision) Hash() string { return r.hash }

// Source says where the bundle was loaded from (a directory, a URL, "api:…"); "" for Verify.
func (r *Revision) Source() string { return r.source }

// LoadedAt is when the bundle was verified.
func (r *Revision) LoadedAt() time.Time { return r.loadedAt }

// Files returns the bundle's files.
func (r *Revision) Files() Files { return r.files }

// Report returns what verification found: no problems, and the test results.
func (r *Revision) Report() *Report { return r.report }

// Stages returns the funnel stages of data.qualify.stages, ordered by position.
func (r *Revision) Stages() []Stage { return slices.Clone(r.stages) }

// HasStage reports whether key is one of the revision's stages.
func (r *Revision) HasStage(key string) bool {
	_, ok := r.stageSet[key]
	return ok
}

func (r *Revision) meta() Meta {
	return Meta{Revision: r.id, Hash: r.hash, DecisionID: newDecisionID(time.Now())}
}

// rawResult keeps results as ast.Values: the decoders read them directly, which saves OPA's
// conversion of every result to map[string]any.
func rawResult(t *ast.Term, _ *rego.EvalContext) (any, error) { return t.Value, nil }

var evalRaw = rego.EvalGenerateJSON(rawResult)

// evalTopdown runs query q on topdown, which takes and gives ast values.
func (r *Revision) evalTopdown(ctx context.Context, q int, input irvm.Value, timeout time.Duration, now time.Time) (irvm.Value, error) {
	v, err := r.evalOn(ctx, r.queries[q], q, irvm.ToAST(input), timeout, now)
	if err != nil {
		return nil, err
	}
	out, err := irvm.FromAST(v)
	if err != nil {
		return nil, r.shapeError(q, err)
	}
	return out, nil
}

// evalPlan runs query q's plan p directly; the evaluator polls the deadline and the context.
func (r *Revision) evalPlan(ctx context.Context, p *irvm.Program, q int, input irvm.Value, timeout time.Duration, now time.Time) (irvm.Value, error) {
	if err := ctx.Err(); err != nil {
		return nil, r.evalError(q, err)
	}
	v, ok, err := p.Eval(ctx, input, irvm.Options{Deadline: time.Now().Add(timeout), Time: now})
	switch {
	case errors.Is(err, irvm.ErrDeadline):
		return nil, r.evalError(q, fmt.Errorf("evaluation stopped after %s: %w", timeout, context.DeadlineExceeded))
	case err != nil && topdown.IsCancel(err) && ctx.Err() != nil:
		return nil, r.evalError(q, ctx.Err()) // the caller gave up, not the policy
	case err != nil:
		return nil, r.evalError(q, err)
	case !ok:
		return nil, r.evalError(q, ErrUndefined)
	}
	return v, nil
}

// evalOn evaluates on topdown; now is time.now_ns() of the policy. A panic (a bug in OPA or in
// a built-in) is an error of this decision, not of the process.
func (r *Revision) evalOn(ctx context.Context, pq rego.PreparedEvalQuery, q int, input ast.Value, timeout time.Duration, now time.Time) (_ ast.Value, err error) {
	if err := ctx.Err(); err != nil {
		return nil, r.evalError(q, err)
	}
	defer func() {
		if p := recover(); p != nil {
			err = r.evalError(q, fmt.Errorf("%w: %v", ErrPanicked, p))
		}
	}()
	// One timer cancels the evaluation at the deadline, one callback when the caller gives up;
	// this spares the goroutine OPA would otherwise start per evaluation to watch a context.
	cancel := topdown.NewCancel()
	timer := time.AfterFunc(timeout, cancel.Cancel)
	stop := context.AfterFunc(ctx, cancel.Cancel)
	rs, err := pq.Eval(ctx, rego.EvalParsedInput(input), evalRaw, rego.EvalExternalCancel(cancel), rego.EvalTime(now))
	timer.Stop()
	stop()
	if err != nil {
		if topdown.IsCancel(err) {
			if ctx.Err() != nil {
				err = ctx.Err() // the caller gave up, not the policy
			} else {
				err = fmt.Errorf("evaluation stopped after %s: %w", timeout, context.DeadlineExceeded)
			}
		}
		return nil, r.evalError(q, err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, r.evalError(q, ErrUndefined)
	}
	v, ok := rs[0].Expressions[0].Value.(ast.Value)
	if !ok {
		return nil, r.evalError(q, fmt.Errorf("%w: result is %T", ErrWrongShape, rs[0].Expressions[0].Value))
	}
	return v, nil
}

func (r *Revision) evalError(q int, err error) *EvalError {
	return &EvalError{Query: queryNames[q], Revision: r.id, Hash: r.hash, Err: err}
}

func (r *Revision) shapeError(q int, err error) *EvalError {
	return r.evalError(q, fmt.Errorf("%w: %w", ErrWrongShape, err))
}

// crockford is the ULID alphabet: no I, L, O, U.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newDecisionID returns a ULID: 48 bits of Unix milliseconds and 80 random bits in 26 base32
// characters, so ids sort by time in the history table and never collide in practice.
func newDecisionID(now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	rand.Read(b[6:]) // never fails (crypto/rand, Go ≥ 1.24)
	var out [26]byte
	// 128 bits as 26 5-bit groups, the first holding the top 3 bits.
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}
