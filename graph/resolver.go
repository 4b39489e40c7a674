// Package graph is Qualify's GraphQL API: the schema (*.graphqls), thin resolvers that call the
// domain packages, and the code gqlgen generates from them.
package graph

import (
	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/crm"
	"github.com/qualify/qualify/internal/lifecycle"
	"github.com/qualify/qualify/internal/policy"
)

// Services are the domain services resolvers call. Resolvers stay thin: they translate GraphQL
// arguments and call one domain method.
type Services struct {
	Client    *ent.Client
	CRM       *crm.Service
	Lifecycle *lifecycle.Service
	Policy    *policy.Engine
}

// Resolver is the root resolver.
type Resolver struct {
	Services
}

// NewResolver wires the resolvers to their services.
func NewResolver(s Services) *Resolver { return &Resolver{Services: s} }
