// Package cost bounds a GraphQL operation by what it can return: each connection's page size
// times the page sizes nested under it, summed over every field and alias, with expensive root
// fields (simulation, funnel analytics) weighted; and it caps how many expensive operations one
// principal runs at once.
package cost

import (
	"context"
	"fmt"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/principal"
)

func init() {
	// A refused document answers 422, like gqlgen's own validation errors.
	errcode.RegisterErrorType(string(domainerr.CodeCostLimit), errcode.KindProtocol)
}

// DefaultWeights are the root fields whose work is not a page of rows: each counts as this many.
var DefaultWeights = map[string]int{
	"simulatePolicy":  5000,
	"testPolicy":      2000,
	"validatePolicy":  500,
	"funnel":          1000,
	"stageDurations":  1000,
	"conversionTrend": 1000,
	"requalifyLeads":  1000,
	"startSimulation": 1000,
	"publishPolicy":   1000,
	"rollbackPolicy":  1000,
}

// Config is the budget of one operation.
type Config struct {
	// Limit is the highest cost an operation may have. Default 20000.
	Limit int
	// PageDefault is the rows a connection returns without first/last; PageMax the most it may
	// ask for, which also caps nodes(ids:).
	PageDefault, PageMax int
	// Weights of expensive root fields; nil means DefaultWeights.
	Weights map[string]int
	// Concurrent is how many operations with a weighted root field one principal may run at
	// once; more are refused with CONCURRENCY_LIMIT. Default 2.
	Concurrent int
}

// Limit is the gqlgen extension.
type Limit struct {
	cfg     Config
	mu      sync.Mutex
	running map[string]int // principal subject -> expensive operations running
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
	graphql.ResponseInterceptor
} = (*Limit)(nil)

// New returns the extension for cfg, with defaults filled in.
func New(cfg Config) *Limit {
	if cfg.Limit == 0 {
		cfg.Limit = 20000
	}
	if cfg.PageDefault == 0 {
		cfg.PageDefault = 50
	}
	if cfg.PageMax == 0 {
		cfg.PageMax = 200
	}
	if cfg.Weights == nil {
		cfg.Weights = DefaultWeights
	}
	if cfg.Concurrent == 0 {
		cfg.Concurrent = 2
	}
	return &Limit{cfg: cfg, running: map[string]int{}}
}

// ExtensionName implements graphql.HandlerExtension.
func (*Limit) ExtensionName() string { return "QueryCost" }

// Validate implements graphql.HandlerExtension.
func (l *Limit) Validate(graphql.ExecutableSchema) error {
	if l.cfg.Limit < 1 || l.cfg.PageMax < l.cfg.PageDefault {
		return fmt.Errorf("cost: need a positive limit and page default <= max")
	}
	return nil
}

// MutateOperationContext implements graphql.OperationContextMutator: it computes the cost and
// refuses an operation above the limit, or a nodes(ids:) with more ids than a page.
func (l *Limit) MutateOperationContext(_ context.Context, op *graphql.OperationContext) *gqlerror.Error {
	w := walker{cfg: &l.cfg, vars: op.Variables, fragments: map[string]bool{}}
	total := 0
	for _, f := range fields(op.Operation.SelectionSet, w.fragments, nil) {
		c := w.field(f)
		c += l.cfg.Weights[f.Name]
		total = saturatingAdd(total, c)
	}
	if w.err != nil {
		return w.err
	}
	if total <= l.cfg.Limit {
		return nil
	}
	err := gqlerror.Errorf("operation cost %d exceeds the limit of %d (cost: rows each connection may return, times the rows nested under it, summed over fields and aliases; expensive fields weighted)", total, l.cfg.Limit)
	err.Extensions = map[string]any{"code": string(domainerr.CodeCostLimit), "cost": total, "limit": l.cfg.Limit}
	return err
}

// InterceptResponse implements graphql.ResponseInterceptor: it holds one of the principal's
// slots for expensive operations while such an operation runs.
func (l *Limit) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	op := graphql.GetOperationContext(ctx)
	if op.Operation == nil || op.Operation.Operation == ast.Subscription || !l.expensive(op) {
		return next(ctx)
	}
	p, _ := principal.From(ctx)
	if !l.acquire(p.Subject) {
		err := gqlerror.Errorf("%s already runs %d expensive operations (simulation, funnel analytics); retry when one finished", p.Subject, l.cfg.Concurrent)
		err.Extensions = map[string]any{"code": string(domainerr.CodeConcurrencyLimit), "limit": l.cfg.Concurrent}
		return &graphql.Response{Errors: gqlerror.List{err}}
	}
	defer l.release(p.Subject)
	return next(ctx)
}

func (l *Limit) expensive(op *graphql.OperationContext) bool {
	for _, f := range fields(op.Operation.SelectionSet, map[string]bool{}, nil) {
		if l.cfg.Weights[f.Name] > 0 {
			return true
		}
	}
	return false
}

func (l *Limit) acquire(who string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running[who] >= l.cfg.Concurrent {
		return false
	}
	l.running[who]++
	return true
}

func (l *Limit) release(who string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running[who]--; l.running[who] <= 0 {
		delete(l.running, who)
	}
}

func saturatingAdd(a, b int) int {
	const ceiling = 1 << 40
	if a+b > ceiling || a+b < 0 {
		return ceiling
	}
	return a + b
}
