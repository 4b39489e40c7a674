package funnel_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/internal/funnel"
	"github.com/qualify/qualify/internal/seed"
	"github.com/qualify/qualify/internal/stagesync"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// benchNow anchors the benchmark's data set (histories lie in the 18 months before it).
var benchNow = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// BenchmarkFunnel runs the funnel queries on PostgreSQL (DATABASE_URL) over FUNNEL_BENCH_LEADS
// seeded leads (default 20000), seeded once into the database qualify_funnel_bench_<n> and
// reused by later runs. FUNNEL_BENCH_EXPLAIN=1 logs the EXPLAIN ANALYZE of each statement.
//
//	FUNNEL_BENCH_LEADS=1000000 DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test ./internal/funnel -run '^$' -bench Funnel -benchtime 10x -v
func BenchmarkFunnel(b *testing.B) {
	leads := 20000
	if s := os.Getenv("FUNNEL_BENCH_LEADS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("FUNNEL_BENCH_LEADS=%q: want a positive number", s)
		}
		leads = n
	}
	db := benchDB(b, leads)
	svc := funnel.New(db.Client, db.Dialect)
	year := funnel.Period{From: benchNow.AddDate(-1, 0, 0), To: benchNow}
	all := funnel.Period{From: benchNow.AddDate(-2, 0, 0), To: benchNow}
	src := []funnel.Dimension{funnel.DimSource}
	cases := []struct {
		name string
		run  func(context.Context) error
	}{
		{"funnel/source/all", func(ctx context.Context) error {
			_, err := svc.Funnel(ctx, funnel.Input{Period: all, GroupBy: src})
			return err
		}},
		{"funnel/source/year", func(ctx context.Context) error {
			_, err := svc.Funnel(ctx, funnel.Input{Period: year, GroupBy: src})
			return err
		}},
		{"funnel/mql-sql/entered/year", func(ctx context.Context) error {
			_, err := svc.Funnel(ctx, funnel.Input{Period: year, Stages: []string{"mql", "sql"},
				Cohort: ptr(funnel.CohortEnteredFirstStage)})
			return err
		}},
		{"durations/source/all", func(ctx context.Context) error {
			_, err := svc.StageDurations(ctx, funnel.Input{Period: all, GroupBy: src})
			return err
		}},
		{"trend/mql-sql/month", func(ctx context.Context) error {
			_, err := svc.ConversionTrend(ctx, funnel.TrendInput{From: "mql", To: "sql", Period: year, Interval: funnel.IntervalMonth})
			return err
		}},
		{"funnel/source/year/where", func(ctx context.Context) error {
			_, err := svc.Funnel(ctx, funnel.Input{Period: year, GroupBy: src,
				Where: &ent.LeadWhereInput{SourceIn: []lead.Source{lead.SourceWEB_FORM, lead.SourceREFERRAL}}})
			return err
		}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				if err := tc.run(ctx); err != nil {
					b.Fatal(err)
				}
			}
			if os.Getenv("FUNNEL_BENCH_EXPLAIN") != "" {
				explain(b, db, svc, tc.run)
			}
		})
	}
}

// explain logs the plan of each statement of one run.
func explain(b *testing.B, db *store.DB, svc *funnel.Service, run func(context.Context) error) {
	var stmts []struct {
		q    string
		args []any
	}
	funnel.SetTrace(svc, func(q string, args []any) {
		stmts = append(stmts, struct {
			q    string
			args []any
		}{q, args})
	})
	defer funnel.SetTrace(svc, nil)
	if err := run(context.Background()); err != nil {
		b.Fatal(err)
	}
	for _, st := range stmts {
		rows, err := db.Client.QueryContext(context.Background(), "EXPLAIN (ANALYZE, COSTS OFF) "+st.q, st.args...)
		if err != nil {
			b.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var line string
			_ = rows.Scan(&line)
			plan = append(plan, line)
		}
		rows.Close()
		b.Logf("\n%s\n%s", st.q, strings.Join(plan, "\n"))
	}
}

// benchDB opens qualify_funnel_bench_<leads> on the server of DATABASE_URL, seeding it when it
// is new and rebuilding the rollups when they are empty (new, or from before the aggregate).
func benchDB(b testing.TB, leads int) *store.DB {
	base := os.Getenv("DATABASE_URL")
	if base == "" {
		b.Skip("BenchmarkFunnel needs DATABASE_URL (PostgreSQL)")
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	name := fmt.Sprintf("qualify_funnel_bench_%d", leads)
	var exists bool
	if err := admin.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		b.Fatal(err)
	}
	if !exists {
		if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
			b.Fatal(err)
		}
	}
	u, _ := url.Parse(base)
	u.Path = "/" + name
	db, err := store.Open(ctx, store.Config{URL: u.String()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	if db.Client.FunnelLead.Query().Limit(1).CountX(ctx) > 0 {
		return db // seeded and rolled up by an earlier run
	}
	if err := stagesync.Sync(ctx, db.Client, testenv.Stages(b)); err != nil {
		b.Fatal(err)
	}
	if db.Client.Lead.Query().Limit(1).CountX(ctx) == 0 {
		st, err := seed.Run(ctx, db.Client, seed.Options{Leads: leads, Seed: 1, Now: benchNow})
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("seeded %d leads, %d transitions in %s", st.Leads, st.Transitions, st.Elapsed.Round(time.Millisecond))
	}
	if _, err := db.Client.ExecContext(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	st, err := funnel.New(db.Client, db.Dialect).Rollups().Rebuild(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("rebuilt the rollup: %d lead rows, %d exit rows in %s", st.Rows, st.Exits, st.Duration.Round(time.Millisecond))
	return db
}
