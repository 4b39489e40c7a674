package funnel_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/funnel"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// While the rollup is being rebuilt the funnel reads the transitions and says so; afterwards
// it reads the rollup again.
func TestFunnelSaysWhileRebuilding(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := funnel.New(db.Client, db.Dialect)
		in := funnel.Input{Period: funnel.Period{From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}}
		source := func() funnel.Source {
			t.Helper()
			res, err := svc.Funnel(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			return res.Source
		}
		if got := source(); got == funnel.SourceTransitions {
			t.Fatalf("source %s before any rebuild", got)
		}
		done := svc.Rollups().Rebuilding()
		if got := source(); got != funnel.SourceTransitions {
			t.Errorf("source %s while rebuilding, want TRANSITIONS", got)
		}
		done()
		done()
		if got := source(); got == funnel.SourceTransitions {
			t.Errorf("source %s after the rebuild", got)
		}
	})
}

// While the rollup is rebuilt over more transitions than the funnel derives in time, a query
// answers UNAVAILABLE with a retry hint rather than reading them until its timeout (at 1M leads
// the transitions took seconds per answer); the rebuilt rollup answers again.
func TestFunnelUnavailableWhileRebuildingALargeHistory(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		rebuiltWorld(t, db, rand.New(rand.NewPCG(3, 4)), 20)
		api := apitest.Start(t, db)
		api.App.Funnel.AnswerFromTransitionsUpTo(5) // the world has more
		vars := map[string]any{"input": funnel.Input{Period: funnel.Period{From: base, To: base.AddDate(1, 0, 0)}}}
		durations := `query($input: FunnelInput!) { stageDurations(input: $input) { source groups { stages { stage leads } } } }`
		done := api.App.Funnel.Rollups().Rebuilding()
		for _, q := range []string{funnelQuery, durations} {
			e := api.Fail(t, "UNAVAILABLE", q, vars)
			if after, _ := e.Extensions["retryAfter"].(float64); after <= 0 {
				t.Errorf("UNAVAILABLE without a retry hint: %v", e.Extensions)
			}
		}
		done()
		var got struct{ Funnel funnel.Result }
		api.Data(t, funnelQuery, vars, &got)
		if got.Funnel.Source != funnel.SourceRollup {
			t.Errorf("source %s after the rebuild, want ROLLUP", got.Funnel.Source)
		}
	})
}

// A rebuild replaces every row of the rollup. It must leave funnel_leads, and the sample and
// restays that mirror it, no larger than a compact copy of their rows: a DELETE and an INSERT in
// one transaction left the deleted rows' pages in the table, which every later scan read as
// well (at 1M leads 342 MB for 171 MB of rows after one rebuild; a funnel by owner and cohort
// month with its exits took 281 ms against 245).
func TestRebuildLeavesTheRollupCompact(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		if db.Dialect != dialect.Postgres {
			t.Skip("SQLite's scans do not read a table's free pages")
		}
		ctx := context.Background()
		svc := rebuiltWorld(t, db, rand.New(rand.NewPCG(5, 6)), 400)
		if _, err := svc.Rollups().Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"funnel_leads", "funnel_sample", "funnel_restays"} {
			if _, err := db.Client.ExecContext(ctx, "DROP TABLE IF EXISTS compact_copy; CREATE TABLE compact_copy AS SELECT * FROM "+table); err != nil {
				t.Fatal(err)
			}
			size := column[int](t, db, "SELECT pg_relation_size($1::regclass)", table)[0]
			compact := column[int](t, db, "SELECT pg_relation_size('compact_copy')")[0]
			rows := column[int](t, db, "SELECT COUNT(*) FROM "+table)[0]
			t.Logf("%s: %d rows, %d bytes, compact %d", table, rows, size, compact)
			if size > compact+8192 {
				t.Errorf("%s after two rebuilds: %d bytes for %d rows, a compact copy %d", table, size, rows, compact)
			}
		}
	})
}

// A rebuild by another process (`qualify funnel rebuild` beside `serve`) holds the rollup's
// tables from its TRUNCATE until it commits. Meanwhile the funnel, stage durations, the trend and
// the CSV export answer UNAVAILABLE with a retry hint, as during a rebuild of their own process,
// rather than waiting for the rebuild (about 15 s at 1M leads) or past their request's deadline.
// Before the statements' lock_timeout they waited: TIMEOUT after the request's 15 s.
func TestFunnelUnavailableWhileAnotherProcessRebuilds(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		if db.Dialect != dialect.Postgres {
			t.Skip("SQLite has one writer and no table locks")
		}
		other := rebuiltWorld(t, db, rand.New(rand.NewPCG(7, 8)), 20) // another process's
		api := apitest.Start(t, db)
		in := funnel.Input{Period: funnel.Period{From: base, To: base.AddDate(1, 0, 0)}}
		vars := map[string]any{"input": in}
		var before struct{ Funnel funnel.Result }
		api.Data(t, funnelQuery, vars, &before)

		// The rebuild is held after its TRUNCATE: its INSERT reads the accounts, which a
		// migration, say, has locked.
		release := rebuildBehindLock(t, db, other, "accounts", "ACCESS EXCLUSIVE")

		trend := map[string]any{"input": funnel.TrendInput{From: "lead", To: "mql", Period: in.Period, Interval: funnel.IntervalMonth}}
		for name, q := range map[string]struct {
			query string
			vars  map[string]any
		}{"funnel": {funnelQuery, vars}, "stageDurations": {durationsQuery, vars}, "conversionTrend": {trendQuery, trend}} {
			e := api.Fail(t, "UNAVAILABLE", q.query, q.vars)
			if e.Extensions["dependency"] != "funnel rollup (being rebuilt)" {
				t.Errorf("%s during another process's rebuild: %+v, want the rollup named", name, e)
			}
			if after, _ := e.Extensions["retryAfter"].(float64); after <= 0 {
				t.Errorf("%s: UNAVAILABLE without a retry hint: %+v", name, e)
			}
		}
		getCSV(t, api, "/export/funnel.csv?from="+in.Period.From.Format(time.DateOnly)+"&to="+in.Period.To.Format(time.DateOnly), http.StatusServiceUnavailable)

		if err := release(); err != nil {
			t.Fatal(err)
		}
		var after struct{ Funnel funnel.Result }
		api.Data(t, funnelQuery, vars, &after)
		if after.Funnel.Source != funnel.SourceRollup || mustJSON(after.Funnel) != mustJSON(before.Funnel) {
			t.Errorf("after the rebuild: %s, want %s", mustJSON(after.Funnel), mustJSON(before.Funnel))
		}
	})
}

// rebuildBehindLock locks table in mode in a transaction of its own, starts other's rebuild and
// returns once the rebuild waits for that lock. release rolls the lock back and returns the
// rebuild's error.
func rebuildBehindLock(t *testing.T, db *store.DB, other *funnel.Service, table, mode string) (release func() error) {
	t.Helper()
	ctx := context.Background()
	holder, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = holder.Rollback() })
	if _, err := holder.ExecContext(ctx, "LOCK TABLE "+table+" IN "+mode+" MODE"); err != nil {
		t.Fatal(err)
	}
	rebuilt := make(chan error, 1)
	go func() { _, err := other.Rollups().Rebuild(ctx); rebuilt <- err }()
	for column[int](t, db, "SELECT COUNT(*) FROM pg_locks WHERE relation = $1::regclass AND NOT granted", table)[0] == 0 {
		select {
		case err := <-rebuilt:
			t.Fatalf("the rebuild did not wait for the lock on %s: %v", table, err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	return func() error {
		_ = holder.Rollback()
		return <-rebuilt
	}
}

// rebuiltWorld builds a world of n leads from rng (their transitions, not their rollup rows) and
// rebuilds the rollup from them.
func rebuiltWorld(t *testing.T, db *store.DB, rng *rand.Rand, n int) *funnel.Service {
	t.Helper()
	ctx := context.Background()
	svc := funnel.New(db.Client, db.Dialect)
	buildWorld(t, ctx, db.Client, svc, rng, n, false)
	if _, err := svc.Rollups().Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	return svc
}

// A rebuild waits for the writers that hold the rollup (a long import, say) without holding up
// the funnel meanwhile: only its TRUNCATE, once they are done, makes readers wait.
func TestRebuildWaitingForAWriterLeavesReadersBe(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		if db.Dialect != dialect.Postgres {
			t.Skip("SQLite has one writer and no table locks")
		}
		other := rebuiltWorld(t, db, rand.New(rand.NewPCG(9, 10)), 20) // another process's
		api := apitest.Start(t, db)
		vars := map[string]any{"input": funnel.Input{Period: funnel.Period{From: base, To: base.AddDate(1, 0, 0)}}}
		release := rebuildBehindLock(t, db, other, "funnel_leads", "ROW EXCLUSIVE") // a writer's
		res := api.Do(t, funnelQuery, vars)
		if err := release(); err != nil {
			t.Fatal(err)
		}
		if len(res.Errors) > 0 {
			t.Fatalf("while a rebuild waited for a writer: %+v", res.Errors)
		}
		var got struct{ Funnel funnel.Result }
		if err := json.Unmarshal(res.Data, &got); err != nil {
			t.Fatal(err)
		}
		if got.Funnel.Source != funnel.SourceRollup {
			t.Errorf("source %s, want ROLLUP", got.Funnel.Source)
		}
	})
}
