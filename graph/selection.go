package graph

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// selectsAny reports whether the field being resolved selects, at any depth and through any
// fragment, a field with one of names: a resolver may then skip work nobody asked for.
func selectsAny(ctx context.Context, names ...string) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil {
		return true
	}
	oc := graphql.GetOperationContext(ctx)
	var walk func(ast.SelectionSet) bool
	walk = func(sels ast.SelectionSet) bool {
		for _, f := range graphql.CollectFields(oc, sels, nil) {
			if slices.Contains(names, f.Name) || walk(f.Selections) {
				return true
			}
		}
		return false
	}
	return walk(fc.Field.Selections)
}
