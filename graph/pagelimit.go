package graph

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/qualify/qualify/internal/domainerr"
)

// PageLimit caps every Relay connection, top-level lists and nested edges alike: no first/last
// means Default rows, more than Max is refused with VALIDATION_FAILED.
type PageLimit struct {
	Default int
	Max     int
}

var _ interface {
	graphql.HandlerExtension
	graphql.FieldInterceptor
} = PageLimit{}

// ExtensionName implements graphql.HandlerExtension.
func (PageLimit) ExtensionName() string { return "PageLimit" }

// Validate implements graphql.HandlerExtension.
func (p PageLimit) Validate(graphql.ExecutableSchema) error {
	if p.Default < 1 || p.Max < p.Default {
		return fmt.Errorf("page limit: need 1 <= default (%d) <= max (%d)", p.Default, p.Max)
	}
	return nil
}

// InterceptField implements graphql.FieldInterceptor.
func (p PageLimit) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Definition == nil || !strings.HasSuffix(fc.Field.Definition.Type.Name(), "Connection") {
		return next(ctx)
	}
	first, _ := fc.Args["first"].(*int)
	last, _ := fc.Args["last"].(*int)
	for name, n := range map[string]*int{"first": first, "last": last} {
		if n != nil && (*n < 0 || *n > p.Max) {
			return nil, domainerr.Validation(fc.Field.Alias+"."+name, fmt.Sprintf("must be between 0 and %d", p.Max))
		}
	}
	if first == nil && last == nil && fc.Args != nil {
		if _, ok := fc.Args["first"]; ok {
			n := p.Default
			fc.Args["first"] = &n
		}
	}
	return next(ctx)
}
