package funnel_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/user"
	"github.com/qualify/qualify/internal/authz"
	"github.com/qualify/qualify/internal/funnel"
	"github.com/qualify/qualify/internal/principal"
	"github.com/qualify/qualify/internal/seed"
	"github.com/qualify/qualify/internal/stagesync"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// benchNow anchors the benchmark's data set (histories lie in the 18 months before it).
var benchNow = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// BenchmarkFunnel runs the funnel queries on PostgreSQL (DATABASE_URL) over FUNNEL_BENCH_LEADS
// seeded leads (default 20000), seeded once into the database qualify_funnel_bench_<n> and
// reused by later runs; FUNNEL_BENCH_DATABASE_URL names an already seeded database instead
// (e.g. one `qualify seed --leads 1000000` filled). FUNNEL_BENCH_EXPLAIN=1 logs the EXPLAIN
// ANALYZE of each statement. The periods are relative to the newest lead.
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
	ctx := context.Background()
	svc := funnel.New(db.Client, db.Dialect)
	authz.Install(db.Client)
	newest := db.Client.Lead.Query().Order(ent.Desc(lead.FieldCreatedAt)).FirstX(ctx).CreatedAt.UTC()
	now := newest.Truncate(24*time.Hour).AddDate(0, 0, 1)
	year := funnel.Period{From: now.AddDate(-1, 0, 0), To: now}
	all := funnel.Period{From: now.AddDate(-2, 0, 0), To: now}
	by := func(d ...funnel.Dimension) []funnel.Dimension { return d }
	// A BDR of the team with the most BDRs, with the row filter of the team.
	bdr := db.Client.User.Query().Where(user.RoleEQ(user.RoleBDR)).Order(ent.Asc(user.FieldTeam)).FirstX(ctx)
	asBDR := authz.WithScope(ctx, &authz.Scope{Principal: principal.Principal{UserID: bdr.ID, Role: "bdr", Team: bdr.Team},
		Operation: "funnel", Kind: "query", RowFilter: authz.RowsTeam})
	since := now.AddDate(0, -6, 0)
	dateAndIndustry := &ent.LeadWhereInput{CreatedAtGTE: &since,
		HasAccountWith: []*ent.AccountWhereInput{{Industry: ptr("software")}}}
	f := func(in funnel.Input) func(context.Context) error {
		return func(ctx context.Context) error { _, err := svc.Funnel(ctx, in); return err }
	}
	cases := []struct {
		name string
		ctx  context.Context
		run  func(context.Context) error
	}{
		{"funnel/none/year", ctx, f(funnel.Input{Period: year})},
		{"funnel/source/all", ctx, f(funnel.Input{Period: all, GroupBy: by(funnel.DimSource)})},
		{"funnel/source/all/counts-only", ctx, f(funnel.Input{Period: all, GroupBy: by(funnel.DimSource),
			Omit: funnel.Omit{DaysToNext: true, Exits: true}})},
		{"funnel/owner/year", ctx, f(funnel.Input{Period: year, GroupBy: by(funnel.DimOwner)})},
		{"funnel/team/year", ctx, f(funnel.Input{Period: year, GroupBy: by(funnel.DimTeam)})},
		{"funnel/cohort_month/year", ctx, f(funnel.Input{Period: year, GroupBy: by(funnel.DimCohortMonth)})},
		{"funnel/source+cohort_month/year", ctx, f(funnel.Input{Period: year, GroupBy: by(funnel.DimSource, funnel.DimCohortMonth)})},
		{"funnel/owner_at_reach/mql-sql/entered", ctx, f(funnel.Input{Period: year, Stages: []string{"mql", "sql"},
			Cohort: ptr(funnel.CohortEnteredFirstStage), GroupBy: by(funnel.DimOwnerAtReach)})},
		{"funnel/where-date-industry/source", ctx, f(funnel.Input{Period: all, GroupBy: by(funnel.DimSource), Where: dateAndIndustry})},
		{"funnel/where-source/year", ctx, f(funnel.Input{Period: year, GroupBy: by(funnel.DimSource),
			Where: &ent.LeadWhereInput{SourceIn: []lead.Source{lead.SourcePAID_AD}}})},
		{"funnel/bdr-row-filter/team", asBDR, f(funnel.Input{Period: year, GroupBy: by(funnel.DimTeam)})},
		{"funnel/exact/source/year", ctx, f(funnel.Input{Period: year, GroupBy: by(funnel.DimSource), Exact: true})},
		{"funnel/odd-hours/owner", ctx, f(funnel.Input{Period: funnel.Period{From: year.From.Add(7 * time.Hour), To: year.To.Add(-3 * time.Hour)},
			GroupBy: by(funnel.DimOwner)})},
		{"funnel/window30/year", ctx, f(funnel.Input{Period: year, WindowDays: ptr(30)})},
		{"durations/source/all", ctx, func(ctx context.Context) error {
			_, err := svc.StageDurations(ctx, funnel.Input{Period: all, GroupBy: by(funnel.DimSource)})
			return err
		}},
		{"durations/owner/year", ctx, func(ctx context.Context) error {
			_, err := svc.StageDurations(ctx, funnel.Input{Period: year, GroupBy: by(funnel.DimOwner)})
			return err
		}},
		{"durations/where-date-industry/source", ctx, func(ctx context.Context) error {
			_, err := svc.StageDurations(ctx, funnel.Input{Period: all, GroupBy: by(funnel.DimSource), Where: dateAndIndustry})
			return err
		}},
		{"durations/exact/source/year", ctx, func(ctx context.Context) error {
			_, err := svc.StageDurations(ctx, funnel.Input{Period: year, GroupBy: by(funnel.DimSource), Exact: true})
			return err
		}},
		{"funnel/owner+source/year", ctx, f(funnel.Input{Period: year, GroupBy: by(funnel.DimOwner, funnel.DimSource)})},
		{"funnel/owner+source/year/counts-only", ctx, f(funnel.Input{Period: year, GroupBy: by(funnel.DimOwner, funnel.DimSource),
			Omit: funnel.Omit{DaysToNext: true, Exits: true}})},
		{"funnel/owner+cohort_month/year", ctx, f(funnel.Input{Period: year, GroupBy: by(funnel.DimOwner, funnel.DimCohortMonth)})},
		{"funnel/team+industry+region/year", ctx, f(funnel.Input{Period: year, GroupBy: by(funnel.DimTeam, funnel.DimIndustry, funnel.DimRegion)})},
		{"trend/where-date-industry/week", ctx, func(ctx context.Context) error {
			_, err := svc.ConversionTrend(ctx, funnel.TrendInput{From: "lead", To: "sql", Period: all, Interval: funnel.IntervalWeek, Where: dateAndIndustry})
			return err
		}},
		{"durations/bdr-row-filter", asBDR, func(ctx context.Context) error {
			_, err := svc.StageDurations(ctx, funnel.Input{Period: all})
			return err
		}},
		{"trend/mql-sql/month", ctx, func(ctx context.Context) error {
			_, err := svc.ConversionTrend(ctx, funnel.TrendInput{From: "mql", To: "sql", Period: year, Interval: funnel.IntervalMonth})
			return err
		}},
		{"trend/bdr-row-filter/week", asBDR, func(ctx context.Context) error {
			_, err := svc.ConversionTrend(ctx, funnel.TrendInput{From: "mql", To: "sql", Period: year, Interval: funnel.IntervalWeek})
			return err
		}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var took []float64
			for b.Loop() {
				start := time.Now()
				if err := tc.run(tc.ctx); err != nil {
					b.Fatal(err)
				}
				took = append(took, float64(time.Since(start).Microseconds())/1000)
			}
			slices.Sort(took)
			b.ReportMetric(took[len(took)/2], "median-ms")
			if os.Getenv("FUNNEL_BENCH_EXPLAIN") != "" {
				explain(b, db, svc, tc.ctx, tc.run)
			}
		})
	}
}

// explain logs the plan of each statement of one run.
func explain(b *testing.B, db *store.DB, svc *funnel.Service, ctx context.Context, run func(context.Context) error) {
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
	if err := run(ctx); err != nil {
		b.Fatal(err)
	}
	for _, st := range stmts {
		tx, err := db.Client.Tx(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		settings := funnel.StatementSettings
		if strings.Contains(st.q, "WITHIN GROUP") {
			settings += funnel.SerialSettings
		}
		if _, err := tx.ExecContext(context.Background(), settings); err != nil {
			b.Fatal(err)
		}
		rows, err := tx.QueryContext(context.Background(), "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "+st.q, st.args...)
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
		_ = tx.Rollback()
		b.Logf("\n%s\n%s", st.q, strings.Join(plan, "\n"))
	}
}

// benchDB opens qualify_funnel_bench_<leads> on the server of DATABASE_URL, seeding it when it
// is new and rebuilding the rollups when they are empty (new, or from before the aggregate).
func benchDB(b testing.TB, leads int) *store.DB {
	if u := os.Getenv("FUNNEL_BENCH_DATABASE_URL"); u != "" {
		db, err := store.Open(context.Background(), store.Config{URL: u})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = db.Close() })
		return db
	}
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
		st, err := seed.Run(ctx, db.Client, seed.Options{Leads: leads, Seed: 1, Now: benchNow, Pool: db.SQL})
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
