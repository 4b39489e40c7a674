package server

import (
	"context"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// tracerName is the instrumentation scope of the server's own spans.
const tracerName = "github.com/qualify/qualify/internal/server"

// traceHTTP gives each request on h a server span, continuing a caller's W3C trace context. With
// tracing off (tp nil) h is returned as it is: no per-request cost at all.
func traceHTTP(h http.Handler, tp trace.TracerProvider, route string) http.Handler {
	if tp == nil {
		return h
	}
	return otelhttp.NewHandler(h, route,
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithPropagators(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})),
		otelhttp.WithSpanNameFormatter(func(route string, r *http.Request) string { return r.Method + " " + route }),
	)
}

// tracer is the gqlgen extension that gives each operation a span, named after its kind and name
// (e.g. "mutation CreateLead"), with extensions.code of its first error. Resolvers and the policy
// decisions they make run inside it.
type tracer struct{ t trace.Tracer }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
	graphql.FieldInterceptor
} = tracer{}

func (tracer) ExtensionName() string                   { return "QualifyTracer" }
func (tracer) Validate(graphql.ExecutableSchema) error { return nil }

func (t tracer) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	op := graphql.GetOperationContext(ctx).Operation
	kind, name := string(op.Operation), operationName(op)
	ctx, span := t.t.Start(ctx, kind+" "+name, trace.WithAttributes(
		attribute.String("graphql.operation.type", kind),
		attribute.String("graphql.operation.name", name),
	))
	respond := next(ctx)
	return func(rctx context.Context) *graphql.Response {
		// gqlgen resolves in the response's context, not the operation's: carry the span over.
		resp := respond(trace.ContextWithSpan(rctx, span))
		if resp == nil { // the end of a subscription's stream
			span.End()
			return nil
		}
		if len(resp.Errors) > 0 {
			span.SetAttributes(attribute.String("graphql.error.code", firstCode(resp)))
			span.SetStatus(codes.Error, resp.Errors[0].Message)
		}
		if op.Operation != ast.Subscription {
			span.End()
		}
		return resp
	}
}

// InterceptField gives each resolver call a span ("Mutation.createLead", with the field's path),
// so a slow request shows which resolver took the time. Fields read off an object already
// loaded (Lead.id, and ent's edge methods, which gqlgen does not count as resolvers) get none:
// a list of a hundred leads would otherwise be thousands of spans that say nothing.
func (t tracer) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !fc.IsResolver {
		return next(ctx)
	}
	ctx, span := t.t.Start(ctx, fc.Object+"."+fc.Field.Name, trace.WithAttributes(
		attribute.String("graphql.field.path", fc.Path().String()),
	))
	defer span.End()
	res, err := next(ctx)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	return res, err
}
