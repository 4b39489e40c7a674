package policy

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// tracerName is the instrumentation scope of decision spans.
const tracerName = "github.com/qualify/qualify/internal/policy"

// traceDecision starts a span for one decision of query q, if ctx is in a recorded trace: the span
// comes from the caller's tracer provider, so the policy package needs no tracing setup, and a
// decision outside a trace (or with tracing off) costs one context lookup. end records err.
func (r *Revision) traceDecision(ctx context.Context, q int) (context.Context, func(error)) {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return ctx, func(error) {}
	}
	ctx, span := parent.TracerProvider().Tracer(tracerName).Start(ctx, "policy decision", trace.WithAttributes(
		attribute.String("qualify.policy.decision", queryNames[q]),
		attribute.String("qualify.policy.revision", r.hash),
		attribute.String("qualify.policy.revision_id", r.id),
	))
	return ctx, func(err error) {
		if err != nil && !errors.Is(err, ErrUndefined) {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
}
