package server

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/extension"
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
// figures in its extensions, not only in its message.
type complexityLimit struct{ *extension.ComplexityLimit }

func (c complexityLimit) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	err := c.ComplexityLimit.MutateOperationContext(ctx, opCtx)
	if err == nil {
		return nil
	}
	err.Extensions = map[string]any{"code": codeComplexityLimit}
	if stats := extension.GetComplexityStats(ctx); stats != nil {
		err.Extensions["complexity"] = stats.Complexity
		err.Extensions["limit"] = stats.ComplexityLimit
	}
	return err
}
