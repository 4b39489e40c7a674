package funnel_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/funnel"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

const (
	sampledFunnelQuery = `query($input: FunnelInput!) { funnel(input: $input) { source percentiles percentileSampleRate groups { source team
  steps { stage reached conversionFromPrevious conversionFromFirst medianDaysToNext p90DaysToNext } exits { stage reasonCode count } } } }`
	sampledDurationsQuery = `query($input: FunnelInput!) { stageDurations(input: $input) { source percentiles percentileSampleRate groups { region
  stages { stage leads latest { median p90 mean } cumulative { median p90 mean } } } } }`
)

// TestSampledPercentiles checks, over HTTP, a rollup large enough to sample (the threshold set
// to 0): on PostgreSQL the medians and p90s are those of the sampled leads exactly, the counts
// and means those of every lead, and the answer says SAMPLED at rate 1/8; `exact: true` and
// SQLite answer over every lead. The sample follows funnel_leads through the rebuild and the
// writes after it.
func TestSampledPercentiles(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w, _, api := servedWorld(t, db, rand.New(rand.NewPCG(21, 8)), 400)
		api.App.Funnel.SamplePercentilesAbove(0)
		pg := db.Dialect == dialect.Postgres
		sampled := map[int]bool{}
		if pg {
			checkSampleMirror(t, db)
			for _, id := range sampledIDs(t, db) {
				sampled[id] = true
			}
			if n := len(sampled); n < len(w.leads)/16 || n > len(w.leads)/4 {
				t.Fatalf("%d of %d leads sampled, want about an eighth", n, len(w.leads))
			}
		}
		inSample := func(m *mlead) bool { return sampled[m.id] }
		vars := func(in any) map[string]any { return map[string]any{"input": in} }
		period := funnel.Period{From: base, To: base.AddDate(0, 6, 0)}

		for _, exact := range []bool{false, true} {
			in := funnel.Input{Period: period, GroupBy: []funnel.Dimension{funnel.DimSource}, Exact: exact}
			var got struct{ Funnel funnel.Result }
			api.Data(t, sampledFunnelQuery, vars(in), &got)
			want := w.bruteFunnel(in, nil)
			if pg && !exact {
				sampledFunnel(want, w.bruteFunnel(in, inSample))
			}
			checkMethod(t, "funnel", got.Funnel.Percentiles, got.Funnel.PercentileSampleRate, sampledAt(pg && !exact, funnel.SampleRate))
			compareFunnel(t, "sampled", got.Funnel.Groups, want, false)

			keep := func(m *mlead) bool { return m.source == "WEB_FORM" || m.source == "PARTNER" }
			din := funnel.Input{Period: period, Cohort: ptr(funnel.CohortEnteredFirstStage), Stages: []string{"mql", "sql", "nurture"},
				Where: &ent.LeadWhereInput{SourceIn: []lead.Source{"WEB_FORM", "PARTNER"}}, GroupBy: []funnel.Dimension{funnel.DimRegion}, Exact: exact}
			var dur struct{ StageDurations funnel.Durations }
			api.Data(t, sampledDurationsQuery, vars(din), &dur)
			dwant := w.bruteDurations(din, keep)
			if pg && !exact {
				sampledDurations(dwant, w.bruteDurations(din, func(m *mlead) bool { return keep(m) && inSample(m) }))
			}
			checkMethod(t, "stageDurations", dur.StageDurations.Percentiles, dur.StageDurations.PercentileSampleRate, sampledAt(pg && !exact, funnel.SampleRate))
			compareDurations(t, "sampled", dur.StageDurations.Groups, dwant, false)

			// The caller's row filter applies to the sample as to every lead.
			north := func(m *mlead) bool { return m.team == "north" || m.owner == 0 }
			tin := funnel.Input{Period: period, GroupBy: []funnel.Dimension{funnel.DimTeam}, Exact: exact}
			var bdr struct{ Funnel funnel.Result }
			api.As(t, "bdr", "north", "").Data(t, sampledFunnelQuery, vars(tin), &bdr)
			bwant := w.bruteFunnel(tin, north)
			if pg && !exact {
				sampledFunnel(bwant, w.bruteFunnel(tin, func(m *mlead) bool { return north(m) && inSample(m) }))
			}
			compareFunnel(t, "sampled bdr", bdr.Funnel.Groups, bwant, false)
		}

		// The CSV export says how its median and p90 columns were computed.
		for exact, want := range map[string]string{"false": "EXACT", "true": "EXACT"} {
			if pg && exact == "false" {
				want = "SAMPLED; rate=0.125"
			}
			q := "/export/funnel.csv?from=" + period.From.Format(time.DateOnly) + "&to=" + period.To.Format(time.DateOnly) + "&groupBy=source&exact=" + exact
			req, _ := http.NewRequest(http.MethodGet, api.Server.URL+q, nil)
			req.Header = api.Header.Clone()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if got := resp.Header.Get("Qualify-Percentiles"); resp.StatusCode != http.StatusOK || got != want {
				t.Fatalf("csv exact=%s: status %d, Qualify-Percentiles %q, want %q", exact, resp.StatusCode, got, want)
			}
		}

		if pg {
			// A rollup whose sample passes the bound is read at half its rate, or less: at
			// 400 leads and a bound of 25, a sixteenth. The share is the lowest sixteenth of
			// hashint8's range, as the sample is its lowest eighth.
			api.App.Funnel.SampleAtMost(25)
			const rate = 1.0 / 16
			half := map[int]bool{}
			for _, id := range hashedBelow(t, db, math.MinInt32+int64(rate*(1<<32))) {
				if !sampled[id] {
					t.Fatalf("lead %d is in the sixteenth but not in the eighth", id)
				}
				half[id] = true
			}
			if n := len(half); n < len(w.leads)/32 || n > len(w.leads)/8 {
				t.Fatalf("%d of %d leads in the sixteenth", n, len(w.leads))
			}
			inHalf := func(m *mlead) bool { return half[m.id] }
			in := funnel.Input{Period: period, GroupBy: []funnel.Dimension{funnel.DimSource}}
			var got struct{ Funnel funnel.Result }
			api.Data(t, sampledFunnelQuery, vars(in), &got)
			want := w.bruteFunnel(in, nil)
			sampledFunnel(want, w.bruteFunnel(in, inHalf))
			checkMethod(t, "funnel at a sixteenth", got.Funnel.Percentiles, got.Funnel.PercentileSampleRate, rate)
			compareFunnel(t, "sixteenth", got.Funnel.Groups, want, false)
			din := funnel.Input{Period: period, GroupBy: []funnel.Dimension{funnel.DimRegion}}
			var dur struct{ StageDurations funnel.Durations }
			api.Data(t, sampledDurationsQuery, vars(din), &dur)
			dwant := w.bruteDurations(din, nil)
			sampledDurations(dwant, w.bruteDurations(din, inHalf))
			checkMethod(t, "stageDurations at a sixteenth", dur.StageDurations.Percentiles, dur.StageDurations.PercentileSampleRate, rate)
			compareDurations(t, "sixteenth", dur.StageDurations.Groups, dwant, false)
			api.App.Funnel.SampleAtMost(0)
		}

		// A rollup under the threshold answers exactly.
		api.App.Funnel.SamplePercentilesAbove(1_000_000)
		var small struct{ Funnel funnel.Result }
		api.Data(t, sampledFunnelQuery, vars(funnel.Input{Period: period}), &small)
		checkMethod(t, "under the threshold", small.Funnel.Percentiles, small.Funnel.PercentileSampleRate, 0)

		if pg {
			// Writes after the rebuild: a new lead's transition, an owner change, a deletion.
			l, err := api.App.Lifecycle.CreateLead(ctx, ent.CreateLeadInput{Source: lead.SourceREFERRAL, FirstName: ptr("Ada")}, nil)
			if err != nil {
				t.Fatal(err)
			}
			owner := db.Client.User.Query().FirstX(ctx)
			for _, id := range append(sampledIDs(t, db)[:3], l.ID) {
				db.Client.Lead.UpdateOneID(id).SetOwnerID(owner.ID).ExecX(ctx)
			}
			if _, err := db.Client.ExecContext(ctx, "DELETE FROM funnel_leads WHERE id = $1", sampledIDs(t, db)[0]); err != nil {
				t.Fatal(err)
			}
			checkSampleMirror(t, db)
		}
	})
}

// TestSampleHasTheRollupsColumns guards the copies of the rollup's columns: a column added to
// funnel_leads (ent/schema/funnellead.go) must be added to funnel_sample and funnel_restays in
// the same migration, or every rollup write of a lead they copy fails.
func TestSampleHasTheRollupsColumns(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		if db.Dialect != dialect.Postgres {
			t.Skip("the sample is kept on PostgreSQL only")
		}
		cols := func(table string) []string {
			return column[string](t, db, `SELECT column_name || ' ' || data_type FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, table)
		}
		for _, copied := range []string{"funnel_sample", "funnel_restays"} {
			if a, b := cols("funnel_leads"), cols(copied); len(a) == 0 || !slices.Equal(a, b) {
				t.Fatalf("%s's columns %v differ from funnel_leads' %v", copied, b, a)
			}
		}
	})
}

// sampledAt is rate when sampled, else 0 (exact).
func sampledAt(sampled bool, rate float64) float64 {
	if sampled {
		return rate
	}
	return 0
}

// hashedBelow are the ids of the leads whose hashint8 is below bound, in order.
func hashedBelow(t *testing.T, db *store.DB, bound int64) []int {
	return column[int](t, db, "SELECT id FROM leads WHERE hashint8(id) < $1 ORDER BY id", bound)
}

// sampledIDs are the ids of the leads in the sample, in order.
func sampledIDs(t *testing.T, db *store.DB) []int {
	return column[int](t, db, "SELECT id FROM leads WHERE qualify_funnel_sampled(id) ORDER BY id")
}

// column is the one column of the rows of query q.
func column[T any](t *testing.T, db *store.DB, q string, args ...any) []T {
	t.Helper()
	rows, err := db.Client.QueryContext(context.Background(), q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkSampleMirror checks the copies of funnel_leads rows hold exactly the rows they copy:
// funnel_sample the sampled leads', funnel_restays those of the leads that stayed in a stage
// more than once; neither may be empty.
func checkSampleMirror(t *testing.T, db *store.DB) {
	t.Helper()
	for table, cond := range map[string]string{"funnel_sample": "qualify_funnel_sampled(f.id)", "funnel_restays": "qualify_funnel_restayed(f)"} {
		var missing, extra, n int
		q := fmt.Sprintf(`SELECT
  (SELECT count(*) FROM (SELECT * FROM funnel_leads f WHERE %[2]s EXCEPT ALL SELECT * FROM %[1]s) a),
  (SELECT count(*) FROM (SELECT * FROM %[1]s EXCEPT ALL SELECT * FROM funnel_leads f WHERE %[2]s) b),
  (SELECT count(*) FROM %[1]s)`, table, cond)
		rows, err := db.Client.QueryContext(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if !rows.Next() {
			t.Fatal(rows.Err())
		}
		err = rows.Scan(&missing, &extra, &n)
		_ = rows.Close()
		if err != nil {
			t.Fatal(err)
		}
		if missing != 0 || extra != 0 || n == 0 {
			t.Fatalf("%s: %d rollup rows missing or stale, %d rows not in the rollup, %d rows", table, missing, extra, n)
		}
	}
}

// checkMethod checks an answer's percentiles were sampled at wantRate, or exact when it is 0.
func checkMethod(t *testing.T, what string, m funnel.PercentileMethod, rate *float64, wantRate float64) {
	t.Helper()
	if wantRate > 0 && (m != funnel.PercentilesSampled || rate == nil || *rate != wantRate) {
		t.Fatalf("%s: percentiles %s rate %v, want SAMPLED %v", what, m, fl(rate), wantRate)
	}
	if wantRate == 0 && (m != funnel.PercentilesExact || rate != nil) {
		t.Fatalf("%s: percentiles %s rate %v, want EXACT without a rate", what, m, fl(rate))
	}
}

// sampledFunnel puts the days to next of the sampled leads' brute force into want, the
// brute force over every lead.
func sampledFunnel(want, sample map[string]*funnel.Group) {
	for k, g := range want {
		for i, s := range g.Steps {
			s.MedianDaysToNext, s.P90DaysToNext = nil, nil
			if sg := sample[k]; sg != nil {
				s.MedianDaysToNext, s.P90DaysToNext = sg.Steps[i].MedianDaysToNext, sg.Steps[i].P90DaysToNext
			}
		}
	}
}

// sampledDurations puts the medians and p90s of the sampled leads' brute force into want.
func sampledDurations(want, sample map[string]*funnel.DurationGroup) {
	for k, g := range want {
		for i, s := range g.Stages {
			s.Latest.Median, s.Latest.P90, s.Cumulative.Median, s.Cumulative.P90 = nil, nil, nil, nil
			if sg := sample[k]; sg != nil {
				ss := sg.Stages[i]
				s.Latest.Median, s.Latest.P90 = ss.Latest.Median, ss.Latest.P90
				s.Cumulative.Median, s.Cumulative.P90 = ss.Cumulative.Median, ss.Cumulative.P90
			}
		}
	}
}

// TestSampleThresholdFollowsTheRollupsSize checks the configured threshold
// (app.Config.FunnelSampleAbove, serve's --funnel-sample-above) against the rollup's size as
// PostgreSQL estimates it after the rebuild: above it the answer is sampled, at or under it and
// when sampling is off it is exact; SQLite is always exact.
func TestSampleThresholdFollowsTheRollupsSize(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		w, _, _ := servedWorld(t, db, rand.New(rand.NewPCG(9, 2)), 60)
		period := funnel.Period{From: base, To: base.AddDate(0, 6, 0)}
		for _, tc := range []struct {
			above   int64
			sampled bool
		}{{int64(len(w.leads)) - 1, true}, {int64(len(w.leads)), false}, {-1, false}} {
			api := apitest.Start(t, db, func(c *app.Config) { c.FunnelSampleAbove = tc.above })
			var got struct{ Funnel funnel.Result }
			api.Data(t, sampledFunnelQuery, map[string]any{"input": funnel.Input{Period: period}}, &got)
			checkMethod(t, fmt.Sprintf("%d leads, sampled above %d", len(w.leads), tc.above), got.Funnel.Percentiles,
				got.Funnel.PercentileSampleRate, sampledAt(tc.sampled && db.Dialect == dialect.Postgres, funnel.SampleRate))
		}
	})
}
