// Package graph is Qualify's GraphQL API: the schema (*.graphqls), thin resolvers that call the
// domain packages, and the code gqlgen generates from them.
package graph

import (
	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/crm"
	"github.com/qualify/qualify/internal/lifecycle"
	"github.com/qualify/qualify/internal/policy"
)

// Resolver holds the services resolvers call. Resolvers stay thin: they translate GraphQL
// arguments and call one domain method.
type Resolver struct {
	client    *ent.Client
	crm       *crm.Service
	lifecycle *lifecycle.Service
	policy    *policy.Engine
}

// NewResolver wires the resolvers to their services.
func NewResolver(client *ent.Client, crm *crm.Service, lc *lifecycle.Service, engine *policy.Engine) *Resolver {
	return &Resolver{client: client, crm: crm, lifecycle: lc, policy: engine}
}
