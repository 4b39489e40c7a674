package app_test

import (
	"strings"
	"testing"

	otelcodes "go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// With a tracer provider, one GraphQL request is one trace: the HTTP request, the operation in
// it (named, with its error code when it fails), its resolvers, their SQL statements and the
// policy decisions it made.
func TestTracing(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	testenv.EachDBWith(t, func(c *store.Config) { c.TracerProvider = tp }, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db, func(c *app.Config) { c.TracerProvider = tp })
		rec.Reset()
		active := api.App.Engine.Active().Hash()

		api.Data(t, `mutation TraceCreate { createLead(input: {lastName: "Trace", email: "trace@example.com", source: WEB_FORM}) { id } }`, nil, &struct{}{})
		spans := rec.Ended()
		httpSpan := only(t, spans, func(s sdktrace.ReadOnlySpan) bool { return s.SpanKind() == trace.SpanKindServer })
		op := only(t, spans, func(s sdktrace.ReadOnlySpan) bool { return s.Name() == "mutation TraceCreate" })
		if op.Parent().SpanID() != httpSpan.SpanContext().SpanID() || op.SpanContext().TraceID() != httpSpan.SpanContext().TraceID() {
			t.Errorf("the operation span is not a child of the HTTP span")
		}
		wantAttrs(t, op, map[string]string{"graphql.operation.name": "TraceCreate", "graphql.operation.type": "mutation"})
		// Each resolver runs in a span of its own under the operation; fields read off a loaded
		// object (Lead.id) get none.
		resolver := only(t, spans, func(s sdktrace.ReadOnlySpan) bool { return s.Name() == "Mutation.createLead" })
		if resolver.Parent().SpanID() != op.SpanContext().SpanID() {
			t.Errorf("the resolver span is not a child of the operation span")
		}
		wantAttrs(t, resolver, map[string]string{"graphql.field.path": "createLead"})
		for _, s := range spans {
			if s.Name() == "Lead.id" {
				t.Errorf("a span for the trivial field Lead.id")
			}
		}
		// Every statement of the request is a span in its trace; the insert of the lead is one
		// of them, under the resolver.
		var inserts int
		for _, s := range spans {
			stmt := attrMap(s)["db.query.text"] + attrMap(s)["db.statement"]
			if stmt == "" {
				continue
			}
			if s.SpanContext().TraceID() != op.SpanContext().TraceID() {
				t.Errorf("SQL span %q outside the request's trace", s.Name())
			}
			if strings.Contains(stmt, "INSERT INTO") && strings.Contains(stmt, "leads") {
				inserts++
			}
		}
		if inserts == 0 {
			t.Errorf("no SQL span inserting the lead among %d spans", len(spans))
		}
		decisions := map[string]bool{}
		for _, s := range spans {
			if s.Name() != "policy decision" {
				continue
			}
			if s.SpanContext().TraceID() != op.SpanContext().TraceID() {
				t.Errorf("a policy decision outside the request's trace")
			}
			attrs := attrMap(s)
			decisions[attrs["qualify.policy.decision"]] = true
			if attrs["qualify.policy.revision"] != active {
				t.Errorf("decision span revision %q, want %q", attrs["qualify.policy.revision"], active)
			}
		}
		if !decisions["data.qualify.lead.decision"] || !decisions["data.qualify.authz.decision"] {
			t.Errorf("decision spans: %v, want the lead and authz decisions", decisions)
		}

		// A failed operation carries its code.
		rec.Reset()
		api.Fail(t, "VALIDATION_FAILED", `mutation TraceInvalid { createAccount(input: {name: "Bad", domain: "co.uk"}) { id } }`, nil)
		denied := only(t, rec.Ended(), func(s sdktrace.ReadOnlySpan) bool { return s.Name() == "mutation TraceInvalid" })
		wantAttrs(t, denied, map[string]string{"graphql.error.code": "VALIDATION_FAILED"})
		if denied.Status().Code != otelcodes.Error {
			t.Errorf("refused operation status %v, want Error", denied.Status())
		}
	})
}

func only(t *testing.T, spans []sdktrace.ReadOnlySpan, match func(sdktrace.ReadOnlySpan) bool) sdktrace.ReadOnlySpan {
	t.Helper()
	var found []sdktrace.ReadOnlySpan
	var names []string
	for _, s := range spans {
		names = append(names, s.Name())
		if match(s) {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d matching spans among %s", len(found), strings.Join(names, ", "))
	}
	return found[0]
}

func attrMap(s sdktrace.ReadOnlySpan) map[string]string {
	m := map[string]string{}
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value.Emit()
	}
	return m
}

func wantAttrs(t *testing.T, s sdktrace.ReadOnlySpan, want map[string]string) {
	t.Helper()
	got := attrMap(s)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("span %q: %s = %q, want %q (all: %v)", s.Name(), k, got[k], v, got)
		}
	}
}
