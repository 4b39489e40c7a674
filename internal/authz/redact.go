package authz

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/qualify/qualify/internal/domainerr"
)

// redacted returns whether fc reads a field the scope hides ("lead.email" for Lead.email).
func redacted(s *Scope, fc *graphql.FieldContext) bool { return s.hides(fc.Object, fc.Field.Name) }

// hides reports whether the field of a GraphQL object type (Lead, email) is one the policy may
// redact and the scope redacts it: the one rule the API and the exports both apply.
func (s *Scope) hides(object, field string) bool {
	if field != "email" && field != "phone" {
		return false
	}
	if object != "Lead" && object != "Contact" {
		return false
	}
	return s.Redacts(strings.ToLower(object) + "." + field)
}

// checkFilters refuses where/orderBy arguments that test a redacted field (emailContains,
// hasContactsWith: {phone: …}): filtering on a hidden value would reveal it one query at a time.
// Names are matched without their type, so a redacted email also keeps a caller from filtering
// users by email.
func checkFilters(ctx context.Context, s *Scope, fc *graphql.FieldContext) error {
	if len(s.Redact) == 0 || len(fc.Field.Arguments) == 0 {
		return nil
	}
	hidden := map[string]bool{}
	for _, f := range s.Redact {
		if _, name, ok := strings.Cut(f, "."); ok {
			hidden[name] = true
		}
	}
	var vars map[string]any
	if graphql.HasOperationContext(ctx) {
		vars = graphql.GetOperationContext(ctx).Variables
	}
	var bad string
	order := false // strings are order fields only under orderBy
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, sub := range x {
				for name := range hidden {
					if strings.HasPrefix(k, name) || strings.EqualFold(k, name) {
						bad = k
					}
				}
				walk(sub)
			}
		case []any:
			for _, sub := range x {
				walk(sub)
			}
		case string:
			if !order {
				return
			}
			for name := range hidden {
				if strings.EqualFold(x, name) {
					bad = x // an order field such as EMAIL
				}
			}
		}
	}
	for _, arg := range []string{"where", "orderBy", "input"} {
		if v, ok := fc.Field.ArgumentMap(vars)[arg]; ok {
			order = arg == "orderBy"
			walk(v)
		}
	}
	if bad != "" {
		return &domainerr.ForbiddenError{Operation: fc.Field.Name,
			Reason: "role " + s.Principal.Role + " may not filter or order by the redacted field " + bad}
	}
	return nil
}
