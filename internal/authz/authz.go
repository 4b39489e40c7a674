// Package authz enforces the access policy (data.qualify.authz) on the GraphQL API: every root
// field is asked of the policy, rows a caller may not see are filtered out of every ent query run
// for it, and fields the policy redacts read as null.
package authz

import (
	"context"
	"slices"
	"sync"

	"github.com/99designs/gqlgen/graphql"

	"github.com/qualify/qualify/internal/principal"
)

// Row filters the policy may return (policy.AuthzDecision.RowFilter).
const (
	RowsAll       = "all"
	RowsTeam      = "team"
	RowsOwnOrTeam = "own_or_team"
	RowsOwn       = "own"
	RowsNone      = "none"
)

// Scope is what the policy allowed for one root field: the rows and fields its resolvers and
// every nested field may read.
type Scope struct {
	Principal principal.Principal
	// Operation is the root field's name, e.g. "leads", "createApiKey".
	Operation string
	// Kind is query, mutation, subscription or admin.
	Kind      string
	RowFilter string
	Redact    []string
	// nodeTypes says whether node and nodes may return API keys and simulations; nil: they may not.
	nodeTypes *nodeTypes
}

// KeysVisible reports whether node and nodes may return API keys: the caller may list them.
func (s *Scope) KeysVisible(ctx context.Context) (bool, error) {
	return s.nodeTypes.allowed(ctx, "apiKeys")
}

// SimulationsVisible reports whether node and nodes may return simulations, whose draft and
// result are the policy admins': the caller may read them.
func (s *Scope) SimulationsVisible(ctx context.Context) (bool, error) {
	return s.nodeTypes.allowed(ctx, "simulation")
}

// nodeTypes asks the policy whether the caller may run an operation (apiKeys, simulation) when a
// node of its type is first looked up, and remembers the answer for the root field: a node is
// rarely a key or a simulation, and the two decisions were two thirds of node's policy work.
type nodeTypes struct {
	decide func(ctx context.Context, operation string) (bool, error)
	mu     sync.Mutex
	known  map[string]bool
}

func (n *nodeTypes) allowed(ctx context.Context, operation string) (bool, error) {
	if n == nil {
		return false, nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if v, ok := n.known[operation]; ok {
		return v, nil
	}
	v, err := n.decide(ctx, operation)
	if err != nil {
		return false, err
	}
	n.known[operation] = v
	return v, nil
}

// Unrestricted reports whether the scope filters nothing.
func (s *Scope) Unrestricted() bool {
	return s.Principal.IsSystem() || (s.RowFilter == RowsAll && len(s.Redact) == 0)
}

// Redacts reports whether field ("lead.email") is hidden.
func (s *Scope) Redacts(field string) bool { return slices.Contains(s.Redact, field) }

type scopeKey struct{}

// WithScope returns ctx carrying s.
func WithScope(ctx context.Context, s *Scope) context.Context {
	return context.WithValue(ctx, scopeKey{}, s)
}

// ScopeFrom returns the scope of ctx. Outside the API (jobs, CLI, tests of domain packages) there
// is none and nothing is filtered; inside a GraphQL operation, a caller without a scope sees no
// rows (fail closed) unless it is principal.System.
func ScopeFrom(ctx context.Context) (*Scope, bool) {
	if s, ok := ctx.Value(scopeKey{}).(*Scope); ok {
		return s, true
	}
	p, ok := principal.From(ctx)
	if ok && p.IsSystem() {
		return &Scope{Principal: p, RowFilter: RowsAll}, true
	}
	if ok || graphql.HasOperationContext(ctx) {
		return &Scope{Principal: p, RowFilter: RowsNone}, true
	}
	return nil, false
}
