package store_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/stdlib"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// Traced PostgreSQL keeps pgx's own connections (the live feed LISTENs on one), and only
// statements under a span get one: background polling stays out of the traces.
func TestTracedStatements(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	testenv.EachDBWith(t, func(c *store.Config) { c.TracerProvider = tp }, func(t *testing.T, db *store.DB) {
		rec.Reset()
		ctx := context.Background()
		if _, err := db.SQL.ExecContext(ctx, "SELECT 1"); err != nil {
			t.Fatal(err)
		}
		if n := len(rec.Ended()); n != 0 {
			t.Fatalf("%d spans for a statement outside any span", n)
		}
		ctx, parent := tp.Tracer("test").Start(ctx, "request")
		if _, err := db.SQL.ExecContext(ctx, "SELECT 1"); err != nil {
			t.Fatal(err)
		}
		parent.End()
		var children int
		for _, s := range rec.Ended() {
			if s.Parent().SpanID() == parent.SpanContext().SpanID() {
				children++
			}
		}
		if children == 0 {
			t.Fatalf("no span under the request for its statement (%d spans)", len(rec.Ended()))
		}
		if db.Dialect != "postgres" {
			return
		}
		conn, err := db.SQL.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if err := conn.Raw(func(dc any) error {
			if _, ok := dc.(*stdlib.Conn); !ok {
				t.Errorf("driver connection %T, want *stdlib.Conn (LISTEN needs it)", dc)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}
