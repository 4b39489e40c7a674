package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/XSAM/otelsql"
	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
)

// With a tracer provider every SQL statement gets a span under the span of its context (the
// resolver, the policy decision's transaction, the job). Statement text is recorded; bound
// parameters are not (they carry personal data).
//
// PostgreSQL is traced by pgx's own tracer hook (otelpgx), not by wrapping database/sql's
// driver: the connections stay *stdlib.Conn, which the live feed's LISTEN needs. SQLite has no
// such hook, so its driver is wrapped (otelsql).

// childOnly gives spans only to statements run under a span: those of a traced request or
// decision. Background statements (the job engine's polling, the live feed) would otherwise be
// a root span each, every second, on every replica.
type childOnly struct {
	embedded.TracerProvider
	tp trace.TracerProvider
}

func (p childOnly) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	return childOnlyTracer{tr: p.tp.Tracer(name, opts...)}
}

type childOnlyTracer struct {
	embedded.Tracer
	tr trace.Tracer
}

func (t childOnlyTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ctx, trace.SpanFromContext(ctx) // a non-recording span; ending it does nothing
	}
	return t.tr.Start(ctx, name, opts...)
}

// openTracedPostgres opens the pool of url with otelpgx on every connection.
func openTracedPostgres(url string, tp trace.TracerProvider) (*sql.DB, error) {
	cc, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres %s: %w", redact(url), err)
	}
	cc.Tracer = otelpgx.NewTracer(otelpgx.WithTracerProvider(childOnly{tp: tp}), otelpgx.WithTrimSQLInSpanName(),
		otelpgx.WithDisableConnectionDetailsInAttributes())
	return stdlib.OpenDB(*cc), nil
}

// openTracedSQLite opens dsn through an otelsql-wrapped modernc driver: a span per statement,
// none per prepared-statement, row iteration or session reset.
func openTracedSQLite(dsn string, tp trace.TracerProvider) (*sql.DB, error) {
	return otelsql.Open("sqlite", dsn,
		otelsql.WithTracerProvider(childOnly{tp: tp}),
		otelsql.WithAttributes(semconv.DBSystemSqlite),
		otelsql.WithSpanOptions(otelsql.SpanOptions{
			DisableErrSkip:       true,
			OmitConnResetSession: true,
			OmitConnPrepare:      true,
			OmitRows:             true,
		}))
}
