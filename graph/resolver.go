// Package graph is Qualify's GraphQL API: the schema (*.graphqls), thin resolvers that call the
// domain packages, and the code gqlgen generates from them.
package graph

import (
	"github.com/qualify/qualify/internal/leadimport"
	"github.com/qualify/qualify/internal/webhook"

	"context"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/auth"
	"github.com/qualify/qualify/internal/crm"
	"github.com/qualify/qualify/internal/decisionlog"
	"github.com/qualify/qualify/internal/funnel"
	"github.com/qualify/qualify/internal/heartbeat"
	"github.com/qualify/qualify/internal/jobs"
	"github.com/qualify/qualify/internal/lifecycle"
	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/policyadmin"
	"github.com/qualify/qualify/internal/sla"
	"github.com/qualify/qualify/internal/stagecache"
	"github.com/qualify/qualify/internal/stagefeed"
)

// Services are the domain services resolvers call. Resolvers stay thin: they translate GraphQL
// arguments and call one domain method.
type Services struct {
	Client    *ent.Client
	CRM       *crm.Service
	Lifecycle *lifecycle.Service
	Policy    *policy.Engine
	// Keys creates, revokes and checks API keys.
	Keys  *auth.Keys
	Feed  *stagefeed.Broker
	Admin *policyadmin.Service
	// Funnel answers the funnel analytics queries.
	Funnel *funnel.Service
	// Recheck says whether the caller of a subscription may still receive events (its user is
	// active, with the role and team it subscribed with); nil accepts every caller.
	Recheck func(context.Context) error
	// Stats are the decisions per revision against their bounds (policyStatus.decisions).
	Stats *decisionlog.Stats
	// Webhooks manages webhook endpoints and their deliveries.
	Webhooks *webhook.Endpoints
	// Import imports leads from CSV files.
	Import *leadimport.Service
	// JobEngine is the background job engine (jobs, retryJob, cancelJob).
	JobEngine *jobs.Engine
	// Stages serves Lead.stage and the stages of transitions from memory.
	Stages *stagecache.Cache
	// SLA reports on the bundle's SLAs and serves the escalations that flag a manager.
	SLA *sla.Service
	// Heartbeat lists the replicas and the revision each serves (policyStatus.replicas).
	Heartbeat *heartbeat.Beat
}

// Resolver is the root resolver.
type Resolver struct {
	Services
	coverage *coverageBatches // Account.decisionMakerCoverage of the accounts of a list at once
}

// NewResolver wires the resolvers to their services.
func NewResolver(s Services) *Resolver {
	return &Resolver{Services: s, coverage: &coverageBatches{}}
}
