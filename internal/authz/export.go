package authz

import "context"

// Redacted reports whether the caller of ctx may not see field of the GraphQL object type
// (Lead, email), by the same rule that makes the API read such a field as null. Code that reads
// rows for a caller outside GraphQL (exports) asks this instead of keeping its own list.
// Outside any scope (jobs, the CLI) nothing is redacted.
func Redacted(ctx context.Context, object, field string) bool {
	s, ok := ScopeFrom(ctx)
	return ok && !s.Principal.IsSystem() && s.hides(object, field)
}
