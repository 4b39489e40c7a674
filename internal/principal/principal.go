// Package principal carries the authenticated caller through a request's context.
package principal

import "context"

// Principal is who is calling: a user, or a service client acting with a role.
type Principal struct {
	UserID int    // 0 for service clients without a user
	Role   string // lower case: marketing, bdr, ae, revops, analyst, admin
	Team   string
	// Via says how the caller authenticated: "jwt", "apikey", "dev" or "system".
	Via string
	// Subject identifies the caller across requests (rate limits, logs): "user:12", "apikey:7",
	// or a JWT's "sub" when it names no user.
	Subject string
}

// IsSystem reports whether p is the service itself, which access control never restricts.
func (p Principal) IsSystem() bool { return p.Role == System.Role }

// System is the principal of work the service does on its own (auto-qualification, jobs).
var System = Principal{Role: "system", Via: "system", Subject: "system"}

type ctxKey struct{}

// With returns ctx carrying p.
func With(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// From returns the principal of ctx, if any.
func From(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}
