package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// marshalSerially marshals a list's elements in order on the caller's goroutine, where gqlgen's
// MarshalSliceConcurrently starts one goroutine per element (graph/gqlgen.go says why). Each
// element still gets its own field context (its index in the path) and, unless panics are left
// to the caller, its own recovery: a panicking element is null with an error, its siblings stand.
func marshalSerially(ctx context.Context, length int, _ int64, omitPanicHandler bool,
	marshalElement func(ctx context.Context, i int) graphql.Marshaler,
) graphql.Array {
	ret := make(graphql.Array, length)
	for i := range length {
		fc := &graphql.FieldContext{Index: &i}
		childCtx := graphql.WithFieldContext(ctx, fc)
		if omitPanicHandler {
			ret[i] = marshalElement(childCtx, i)
			continue
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					graphql.AddError(childCtx, graphql.Recover(childCtx, r))
					ret[i] = graphql.Null
				}
			}()
			ret[i] = marshalElement(childCtx, i)
		}()
	}
	return ret
}
