package server

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// The codes of the limit refusals. Their extensions carry the figure ("depth" or "complexity") and
// the "limit".
const (
	codeDepthLimit      = "DEPTH_LIMIT"
	codeComplexityLimit = "COMPLEXITY_LIMIT"
)

func init() {
	// Refusals of the document before execution answer 422, like gqlgen's validation errors.
	errcode.RegisterErrorType(codeDepthLimit, errcode.KindProtocol)
	errcode.RegisterErrorType(codeComplexityLimit, errcode.KindProtocol)
}

// depthLimit refuses operations whose fields nest deeper than max. Introspection fields are not
// counted: gqlparser's MaxIntrospectionDepth rule bounds them, and GraphiQL's introspection query
// is deeper than any sensible limit for data.
type depthLimit struct{ max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

func (depthLimit) ExtensionName() string { return "DepthLimit" }

func (d depthLimit) Validate(graphql.ExecutableSchema) error {
	if d.max < 1 {
		return errors.New("depth limit must be at least 1")
	}
	return nil
}

func (d depthLimit) MutateOperationContext(_ context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	depth := operationDepth(opCtx.Operation)
	if depth <= d.max {
		return nil
	}
	err := gqlerror.Errorf("operation has depth %d, which exceeds the limit of %d", depth, d.max)
	if opCtx.Operation.Position != nil {
		err.Locations = []gqlerror.Location{{Line: opCtx.Operation.Position.Line, Column: opCtx.Operation.Position.Column}}
	}
	err.Extensions = map[string]any{"code": codeDepthLimit, "depth": depth, "limit": d.max}
	return err
}

// operationDepth is the deepest field nesting of a validated operation: { a { b } } has depth 2.
// Fragments count as the fields they hold.
func operationDepth(op *ast.OperationDefinition) int {
	w := depthWalker{fragments: map[string]int{}}
	return w.selectionSet(op.SelectionSet)
}

// depthWalker memoizes each fragment's depth, so shared fragments are walked once.
type depthWalker struct {
	fragments map[string]int // -1 while a fragment is being walked
}

func (w depthWalker) selectionSet(set ast.SelectionSet) int {
	deepest := 0
	for _, sel := range set {
		d := 0
		switch sel := sel.(type) {
		case *ast.Field:
			if sel.Name == "__schema" || sel.Name == "__type" {
				continue
			}
			d = 1 + w.selectionSet(sel.SelectionSet)
		case *ast.InlineFragment:
			d = w.selectionSet(sel.SelectionSet)
		case *ast.FragmentSpread:
			d = w.fragment(sel)
		}
		deepest = max(deepest, d)
	}
	return deepest
}

func (w depthWalker) fragment(spread *ast.FragmentSpread) int {
	if d, seen := w.fragments[spread.Name]; seen {
		return max(d, 0) // a cycle (which validation refuses) counts as nothing rather than forever
	}
	if spread.Definition == nil {
		return 0
	}
	w.fragments[spread.Name] = -1
	d := w.selectionSet(spread.Definition.SelectionSet)
	w.fragments[spread.Name] = d
	return d
}

// complexityLimit is gqlgen's ComplexityLimit whose refusal carries code COMPLEXITY_LIMIT and the
// figures in its extensions, not only in its message, and which remembers an operation's
// complexity: when no field of it has a complexity function of the schema's (the arguments, and
// so the variables, reach nothing but those), the figure depends on the document alone, and the
// walk over it, with an argument map per field, was 3% of a one-lead request's CPU.
type complexityLimit struct {
	limit int
	es    graphql.ExecutableSchema
	known *lru.LRU[int] // by operation name and document
}

func newComplexityLimit(limit, size int) *complexityLimit {
	return &complexityLimit{limit: limit, known: lru.New[int](size)}
}

var _ interface {
	graphql.OperationContextMutator
	graphql.HandlerExtension
} = &complexityLimit{}

// ExtensionName is gqlgen's, so that extension.GetComplexityStats finds the figures.
func (c *complexityLimit) ExtensionName() string { return "ComplexityLimit" }

func (c *complexityLimit) Validate(es graphql.ExecutableSchema) error {
	c.es = es
	return nil
}

func (c *complexityLimit) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	key := opCtx.OperationName + "\x00" + opCtx.RawQuery
	n, ok := c.known.Get(ctx, key)
	if !ok {
		probe := &complexityProbe{ExecutableSchema: c.es}
		n = complexity.Calculate(ctx, probe, opCtx.Doc.Operations.ForName(opCtx.OperationName), opCtx.Variables)
		if !probe.custom {
			c.known.Add(ctx, key, n)
		}
	}
	opCtx.Stats.SetExtension(c.ExtensionName(), &extension.ComplexityStats{Complexity: n, ComplexityLimit: c.limit})
	if n <= c.limit {
		return nil
	}
	err := gqlerror.Errorf("operation has complexity %d, which exceeds the limit of %d", n, c.limit)
	err.Extensions = map[string]any{"code": codeComplexityLimit, "complexity": n, "limit": c.limit}
	return err
}

// complexityProbe notes whether the schema had a complexity function of its own for a field.
type complexityProbe struct {
	graphql.ExecutableSchema
	custom bool
}

func (p *complexityProbe) Complexity(ctx context.Context, typeName, field string, childComplexity int, args map[string]any) (int, bool) {
	n, ok := p.ExecutableSchema.Complexity(ctx, typeName, field, childComplexity, args)
	p.custom = p.custom || ok
	return n, ok
}
