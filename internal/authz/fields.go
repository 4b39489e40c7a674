package authz

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/decisionlog"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/principal"
)

// Decider is the policy engine's access decision (policy.Engine implements it).
type Decider interface {
	DecideAuthz(ctx context.Context, in policy.AuthzInput) (policy.AuthzDecision, policy.Meta, error)
}

// Extension is the gqlgen field interceptor of access control. For every root field of a query,
// mutation or subscription it asks the policy (operation kind and field name); a refusal is
// FORBIDDEN with the policy's reason, a caller without a principal is UNAUTHENTICATED. The
// allowed scope goes into the context of the field and everything nested under it, where the ent
// interceptors (Interceptors) filter rows and InterceptField nulls redacted fields.
type Extension struct {
	Policy Decider
	// Client checks that a mutation's target ids are visible to the caller.
	Client *ent.Client
	// Log samples the decisions into the decision log and Stats counts them all; nil: neither.
	Log   *decisionlog.Sampler
	Stats *decisionlog.Stats
}

var (
	_ graphql.HandlerExtension     = Extension{}
	_ graphql.FieldInterceptor     = Extension{}
	_ graphql.OperationInterceptor = Extension{}
)

// ExtensionName implements graphql.HandlerExtension.
func (Extension) ExtensionName() string { return "QualifyAuthz" }

// Validate implements graphql.HandlerExtension.
func (Extension) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation implements graphql.OperationInterceptor: it gives the operation a place
// for its subscription's scope. gqlgen resolves each event of a subscription in the operation's
// context, not in the root field's, so the scope the root field was given must be found there.
func (Extension) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	return next(context.WithValue(ctx, operationKey{}, &operationScope{}))
}

type operationKey struct{}

// operationScope holds the scope of a subscription's root field (a subscription has exactly one).
type operationScope struct {
	mu  sync.Mutex
	sub *Scope
}

func subscriptionScope(ctx context.Context) (*Scope, bool) {
	o, ok := ctx.Value(operationKey{}).(*operationScope)
	if !ok {
		return nil, false
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.sub, o.sub != nil
}

// InterceptField implements graphql.FieldInterceptor.
func (e Extension) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || strings.HasPrefix(fc.Field.Name, "__") {
		return next(ctx)
	}
	if isRoot(fc) {
		return e.root(ctx, fc, next)
	}
	s, ok := ctx.Value(scopeKey{}).(*Scope)
	if !ok {
		if s, ok = subscriptionScope(ctx); ok {
			ctx = WithScope(ctx, s)
		}
	}
	if ok {
		if redacted(s, fc) {
			return nil, nil
		}
		if err := checkFilters(ctx, s, fc); err != nil {
			return nil, err
		}
		restrictArgs(s, fc)
	}
	return next(ctx)
}

// isRoot reports whether fc is a root field of the operation: a field of Query, Mutation or
// Subscription with no field above it. gqlgen puts field contexts without a field above the
// root fields and above each element of a list (nodes[0].email is no root field).
func isRoot(fc *graphql.FieldContext) bool {
	switch fc.Object {
	case "Query", "Mutation", "Subscription":
	default:
		return false
	}
	for p := fc.Parent; p != nil; p = p.Parent {
		if p.Field.Field != nil {
			return false
		}
	}
	return true
}

// restrictArgs puts the row filter of s into every where input among fc's arguments.
func restrictArgs(s *Scope, fc *graphql.FieldContext) {
	if len(fc.Args) == 0 {
		return
	}
	if f, ok := filtersFor(s); ok {
		f.restrictWhere(fc.Args)
	}
}

func (e Extension) root(ctx context.Context, fc *graphql.FieldContext, next graphql.Resolver) (any, error) {
	kind := strings.ToLower(fc.Object)
	ctx, s, err := e.Authorize(ctx, kind, fc.Field.Name)
	if err != nil {
		return nil, err
	}
	if !s.Principal.IsSystem() && (fc.Field.Name == "node" || fc.Field.Name == "nodes") {
		// An API key is a node too: whoever the policy lets list the keys may look one up; so is a
		// simulation. Asked when a key or simulation is looked up, not for every node.
		p := s.Principal
		s.nodeTypes = &nodeTypes{known: map[string]bool{}, decide: func(ctx context.Context, operation string) (bool, error) {
			d, err := e.decide(ctx, p, "query", operation)
			return d.Allow, err
		}}
	}
	if kind == "subscription" {
		if o, ok := ctx.Value(operationKey{}).(*operationScope); ok {
			o.mu.Lock()
			o.sub = s
			o.mu.Unlock()
		}
	}
	if err := checkFilters(ctx, s, fc); err != nil {
		return nil, err
	}
	restrictArgs(s, fc)
	if kind == "mutation" && !s.Unrestricted() && s.RowFilter != RowsAll {
		if err := e.checkTargets(ctx, fc); err != nil {
			return nil, err
		}
	}
	return next(ctx)
}

// Authorize asks the policy whether the caller of ctx may run operation (of kind query,
// mutation, subscription or admin) and returns ctx carrying the scope it allows; HTTP routes
// beside /graphql (exports) are judged by it as a root field is. A refusal is a domain error
// (UNAUTHENTICATED, FORBIDDEN).
func (e Extension) Authorize(ctx context.Context, kind, operation string) (context.Context, *Scope, error) {
	p, ok := principal.From(ctx)
	if !ok || p.Role == "" {
		return ctx, nil, &domainerr.UnauthenticatedError{Reason: "no credentials"}
	}
	s := &Scope{Principal: p, Operation: operation, Kind: kind, RowFilter: RowsAll}
	if !p.IsSystem() {
		d, err := e.decide(ctx, p, kind, operation)
		if err != nil {
			return ctx, nil, err
		}
		if !d.Allow {
			return ctx, nil, &domainerr.ForbiddenError{Operation: operation, Reason: d.Reason}
		}
		s.RowFilter, s.Redact = d.RowFilter, d.Redact
	}
	return WithScope(ctx, s), s, nil
}

// decide asks the policy whether p may run the root field name of kind, and logs the decision.
func (e Extension) decide(ctx context.Context, p principal.Principal, kind, name string) (policy.AuthzDecision, error) {
	in := policy.AuthzInput{
		Principal: policy.Principal{ID: p.Subject, Role: p.Role, Team: p.Team},
		Operation: policy.Operation{Kind: kind, Name: name},
	}
	start := time.Now()
	d, meta, err := e.Policy.DecideAuthz(ctx, in)
	latency := time.Since(start)
	e.Stats.Observe(policy.QueryAuthz, meta, latency, err)
	if err != nil {
		return d, fmt.Errorf("authz decision for %s: %w", name, err)
	}
	entry := decisionlog.Entry{Kind: decisionlog.Authz, Meta: meta, Input: in, Result: d, Latency: latency, Trigger: kind}
	if _, err := e.Log.Offer(ctx, entry); err != nil {
		return d, fmt.Errorf("authz decision log: %w", err)
	}
	return d, nil
}

// checkTargets refuses a mutation of a row the caller may not see: the ids it names at the top
// level (id) or in its input (id, leadId, contactId, contactIDs, …) must be visible under the scope. An id
// that names nothing is left to the resolver, which reports NOT_FOUND.
func (e Extension) checkTargets(ctx context.Context, fc *graphql.FieldContext) error {
	var vars map[string]any
	if graphql.HasOperationContext(ctx) {
		vars = graphql.GetOperationContext(ctx).Variables
	}
	args := fc.Field.ArgumentMap(vars)
	ids := targetIDs(args)
	if input, ok := args["input"].(map[string]any); ok {
		ids = append(ids, targetIDs(input)...)
	}
	// Look the ids up as a nested field would: filtered.
	nested := graphql.WithFieldContext(ctx, &graphql.FieldContext{Parent: fc, Object: fc.Object, Field: fc.Field})
	for _, id := range ids {
		if _, err := e.Client.Noder(nested, id); err == nil {
			continue
		} else if !ent.IsNotFound(err) && !isUnknownType(err) {
			return err
		}
		if _, err := e.Client.Noder(WithScope(ctx, &Scope{Principal: principal.System, RowFilter: RowsAll}), id); err != nil {
			continue // does not exist: the resolver says NOT_FOUND
		}
		s, _ := ScopeFrom(ctx)
		return &domainerr.ForbiddenError{Operation: fc.Field.Name,
			Reason: fmt.Sprintf("node %d is outside the rows role %s may see (%s)", id, s.Principal.Role, s.RowFilter)}
	}
	return nil
}

func targetIDs(m map[string]any) []int {
	var ids []int
	for _, k := range []string{"id", "leadID", "leadId", "contactID", "contactId"} {
		if id, ok := asID(m[k]); ok {
			ids = append(ids, id)
		}
	}
	for _, k := range []string{"contactIDs", "addContactIDs", "leadIDs", "addLeadIDs"} {
		list, _ := m[k].([]any)
		for _, v := range list {
			if id, ok := asID(v); ok {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

func asID(v any) (int, bool) {
	switch x := v.(type) {
	case string:
		n, err := strconv.Atoi(x)
		return n, err == nil
	case json.Number:
		n, err := x.Int64()
		return int(n), err == nil
	case int:
		return x, true
	case int64:
		return int(x), true
	case float64:
		return int(x), true
	}
	return 0, false
}

func isUnknownType(err error) bool { return err != nil && strings.Contains(err.Error(), "unknown") }
