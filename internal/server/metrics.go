package server

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/principal"
)

// The operation labels that are not operation names.
const (
	opInvalid   = "invalid"   // the document did not parse or validate, or named no operation
	opAnonymous = "anonymous" // an anonymous operation whose first selection is not a field
	opOther     = "other"     // a name seen after Config.MaxOperationLabels names were
)

// metrics are the server's Prometheus collectors.
type metrics struct {
	registry Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	http     *prometheus.CounterVec
	names    *operationNames
}

func newMetrics(reg Registry, maxNames int) *metrics {
	if reg == nil {
		r := prometheus.NewRegistry()
		r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		reg = r
	}
	m := &metrics{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qualify_graphql_requests_total",
			Help: "GraphQL operations answered (subscriptions: events sent), by operation name, kind " +
				"(query, mutation, subscription, unknown), status (ok, error, rejected before execution) and " +
				"code (extensions.code of the first error, \"\" for none: a refusal such as FORBIDDEN or " +
				"CONFLICT is told apart from INTERNAL, a bug, and UNAVAILABLE, an outage).",
		}, []string{"operation", "kind", "status", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "qualify_graphql_request_duration_seconds",
			Help:    "Time from receiving a GraphQL query or mutation to its response, by operation name and kind.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 15},
		}, []string{"operation", "kind"}),
		http: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qualify_http_requests_total",
			Help: "HTTP requests answered, by route pattern and status code.",
		}, []string{"route", "code"}),
		names: &operationNames{seen: map[string]struct{}{}, max: maxNames},
	}
	reg.MustRegister(m.requests, m.duration, m.http)
	return m
}

// handler serves the registry in the Prometheus exposition format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// operationNames keeps the operation label's cardinality bounded: the first max distinct names are
// used as they are, later ones become "other".
type operationNames struct {
	mu   sync.Mutex
	seen map[string]struct{}
	max  int
}

func (n *operationNames) label(name string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.seen[name]; ok {
		return name
	}
	if len(n.seen) >= n.max {
		return opOther
	}
	n.seen[name] = struct{}{}
	return name
}

// operationName names a validated operation: its name, or for an anonymous one "anonymous:" and
// its first root field ("anonymous:leads").
func operationName(op *ast.OperationDefinition) string {
	if op.Name != "" {
		return op.Name
	}
	if len(op.SelectionSet) > 0 {
		if f, ok := op.SelectionSet[0].(*ast.Field); ok {
			return opAnonymous + ":" + f.Name
		}
	}
	return opAnonymous
}

// observer is the gqlgen extension that counts and times operations, and tells the access log
// which operation a request ran.
type observer struct{ metrics *metrics }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
	graphql.ResponseInterceptor
} = observer{}

type executedKey struct{}

func (observer) ExtensionName() string                   { return "QualifyObserver" }
func (observer) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation marks the context of operations that got past parsing, validation and the
// limits; responses without the mark are refusals.
func (observer) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	return next(context.WithValue(ctx, executedKey{}, true))
}

func (o observer) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil { // the end of a subscription's stream
		return nil
	}
	name, kind := opInvalid, "unknown"
	var start time.Time
	if graphql.HasOperationContext(ctx) {
		opCtx := graphql.GetOperationContext(ctx)
		start = opCtx.Stats.OperationStart
		if opCtx.Operation != nil {
			name, kind = operationName(opCtx.Operation), string(opCtx.Operation.Operation)
		}
	}
	status := "ok"
	if executed, _ := ctx.Value(executedKey{}).(bool); !executed {
		status = "rejected"
	} else if len(resp.Errors) > 0 {
		status = "error"
	}

	label := name
	if name != opInvalid {
		label = o.metrics.names.label(name)
	}
	o.metrics.requests.WithLabelValues(label, kind, status, firstCode(resp)).Inc()
	if kind != string(ast.Subscription) && !start.IsZero() {
		o.metrics.duration.WithLabelValues(label, kind).Observe(time.Since(start).Seconds())
	}
	if info := infoFrom(ctx); info != nil {
		info.setOperation(name, kind)
		if kind != string(ast.Subscription) {
			who, _ := principal.From(ctx)
			info.setOutcome(who.Subject, firstCode(resp), onlyUnavailable(resp))
		}
	}
	return resp
}

// errorCode is extensions.code of a presented error.
func errorCode(e *gqlerror.Error) string {
	code, _ := e.Extensions["code"].(string)
	return code
}

// firstCode is the code of the response's first error, "" without errors.
func firstCode(resp *graphql.Response) string {
	if len(resp.Errors) == 0 {
		return ""
	}
	return errorCode(resp.Errors[0])
}

// onlyUnavailable reports a response without data whose every error is UNAVAILABLE.
func onlyUnavailable(resp *graphql.Response) bool {
	if len(resp.Errors) == 0 || (len(resp.Data) > 0 && string(resp.Data) != "null") {
		return false
	}
	for _, e := range resp.Errors {
		if errorCode(e) != string(domainerr.CodeUnavailable) {
			return false
		}
	}
	return true
}
