package authz

import (
	"context"

	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/principal"
)

// Permits asks the access policy whether the caller of ctx may run the operation (kind
// "mutation", name "transitionLead"), without running it: a read that says what a mutation
// would do ("can this lead move?") answers for callers the mutation would refuse, too. The
// system principal may run everything.
func Permits(ctx context.Context, d Decider, kind, name string) (bool, string, error) {
	p, ok := principal.From(ctx)
	if !ok || p.Role == "" {
		return false, "no credentials", nil
	}
	if p.IsSystem() {
		return true, "", nil
	}
	dec, _, err := d.DecideAuthz(ctx, policy.AuthzInput{
		Principal: policy.Principal{ID: p.Subject, Role: p.Role, Team: p.Team},
		Operation: policy.Operation{Kind: kind, Name: name},
	})
	if err != nil {
		return false, "", err
	}
	return dec.Allow, dec.Reason, nil
}
