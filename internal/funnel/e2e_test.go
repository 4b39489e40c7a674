package funnel_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strconv"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/funnellead"
	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/funnel"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

const (
	funnelQuery = `query($input: FunnelInput!) { funnel(input: $input) { source percentiles percentileSampleRate groups { source team industry
  steps { stage reached conversionFromPrevious conversionFromFirst medianDaysToNext p90DaysToNext }
  exits { stage reasonCode count } } } }`
	durationsQuery = `query($input: FunnelInput!) { stageDurations(input: $input) { source percentiles groups { source region
  stages { stage leads latest { median p90 mean } cumulative { median p90 mean } } } } }`
	trendQuery = `query($input: ConversionTrendInput!) { conversionTrend(input: $input) { source
  points { periodStart reachedFrom reachedTo conversion } } }`
)

// TestFunnelOverHTTP checks the GraphQL queries and the CSV export end to end, with the
// caller's row filter, against the brute force.
func TestFunnelOverHTTP(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w, svc, api := servedWorld(t, db, rand.New(rand.NewPCG(11, 3)), 80)
		period := funnel.Period{From: base, To: base.AddDate(0, 6, 0)}
		vars := func(in any) map[string]any { return map[string]any{"input": in} }
		in := funnel.Input{Period: period, GroupBy: []funnel.Dimension{funnel.DimSource}}

		var got struct{ Funnel funnel.Result }
		api.Data(t, funnelQuery, vars(in), &got)
		if got.Funnel.Source != funnel.SourceRollup || got.Funnel.Percentiles != funnel.PercentilesExact {
			t.Fatalf("source %s %s, want ROLLUP EXACT", got.Funnel.Source, got.Funnel.Percentiles)
		}
		compareFunnel(t, "http", got.Funnel.Groups, w.bruteFunnel(in, nil), false)

		// A where filter answers from the rollup, joined with the leads it keeps.
		sources := []lead.Source{"WEB_FORM", "PARTNER"}
		keep := func(m *mlead) bool { return m.source == "WEB_FORM" || m.source == "PARTNER" }
		din := funnel.Input{Period: period, Cohort: ptr(funnel.CohortEnteredFirstStage), Stages: []string{"mql", "sql", "nurture"},
			Where: &ent.LeadWhereInput{SourceIn: sources}, GroupBy: []funnel.Dimension{funnel.DimRegion}}
		var dur struct{ StageDurations funnel.Durations }
		api.Data(t, durationsQuery, vars(din), &dur)
		if dur.StageDurations.Source != funnel.SourceRollup {
			t.Fatalf("source %s, want ROLLUP", dur.StageDurations.Source)
		}
		compareDurations(t, "http", dur.StageDurations.Groups, w.bruteDurations(din, keep), false)

		tin := funnel.TrendInput{From: "mql", To: "sql", Period: period, Interval: funnel.IntervalMonth}
		var tr struct{ ConversionTrend funnel.Trend }
		api.Data(t, trendQuery, vars(tin), &tr)
		want := w.bruteTrend(tin, nil)
		if b, _ := json.Marshal(tr.ConversionTrend.Points); string(b) != mustJSON(want) {
			t.Fatalf("trend: got %s, want %s", b, mustJSON(want))
		}

		// A BDR of team north sees the leads owned in the team and the unassigned ones (the row
		// filter of internal/authz), in the rollup as well.
		north := func(m *mlead) bool { return m.team == "north" || m.owner == 0 }
		in.GroupBy = []funnel.Dimension{funnel.DimTeam}
		var bdr struct{ Funnel funnel.Result }
		api.As(t, "bdr", "north", "").Data(t, funnelQuery, vars(in), &bdr)
		if len(bdr.Funnel.Groups) != 2 || *bdr.Funnel.Groups[0].Team != "" || *bdr.Funnel.Groups[1].Team != "north" {
			t.Fatalf("bdr of north: groups %s", mustJSON(bdr.Funnel.Groups))
		}
		if bdr.Funnel.Source != funnel.SourceRollup {
			t.Fatalf("bdr of north: source %s, want ROLLUP", bdr.Funnel.Source)
		}
		compareFunnel(t, "bdr", bdr.Funnel.Groups, w.bruteFunnel(in, north), false)
		if e := api.As(t, "marketing", "", "").Fail(t, "FORBIDDEN", funnelQuery, vars(in)); e.Message == "" {
			t.Fatal("marketing may not read the funnel")
		}

		// CSV export: the same figures, behind the same access control.
		q := "/export/funnel.csv?from=" + period.From.Format(time.RFC3339) + "&to=" + period.To.Format(time.DateOnly) + "&groupBy=team"
		rows := getCSV(t, api.As(t, "bdr", "north", ""), q, http.StatusOK)
		byStage := map[string]int{}
		for _, r := range rows[1:] {
			if r[0] == "step" {
				n, _ := strconv.Atoi(r[4])
				byStage[r[2]] += n
			}
		}
		for _, g := range w.bruteFunnel(in, north) {
			for _, s := range g.Steps {
				byStage[s.Stage] -= s.Reached
			}
		}
		for st, diff := range byStage {
			if diff != 0 {
				t.Fatalf("csv: stage %s off by %d", st, diff)
			}
		}
		getCSV(t, api.Anonymous(), q, http.StatusUnauthorized)
		getCSV(t, api.As(t, "marketing", "", ""), q, http.StatusForbidden)
		getCSV(t, api, "/export/funnel.csv?from=x", http.StatusBadRequest)

		// Lifecycle writes the rollup in the transaction of each transition.
		l, err := api.App.Lifecycle.CreateLead(ctx, ent.CreateLeadInput{Source: lead.SourceREFERRAL, FirstName: ptr("Ada")}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n := db.Client.FunnelLead.Query().Where(funnellead.ID(l.ID), funnellead.R1NotNil()).CountX(ctx); n != 1 {
			t.Fatalf("new lead: %d rollup rows that reached its stage, want 1", n)
		}
		today := funnel.Period{From: l.CreatedAt.UTC().Truncate(24 * time.Hour)}
		today.To = today.From.AddDate(0, 0, 1)
		byOwner := funnel.Input{Period: today, Stages: []string{"lead"}, GroupBy: []funnel.Dimension{funnel.DimOwner}}
		if f, err := svc.Funnel(ctx, byOwner); err != nil || f.Source != funnel.SourceRollup || len(f.Groups) != 1 || f.Groups[0].OwnerID != nil || f.Groups[0].Steps[0].Reached != 1 {
			t.Fatalf("new lead: the rollup does not count it: %s %v", mustJSON(f), err)
		}
		// and when a lead changes owner outside a transition.
		owner := db.Client.User.Query().FirstX(ctx)
		db.Client.Lead.UpdateOneID(l.ID).SetOwnerID(owner.ID).ExecX(ctx)
		if n := db.Client.FunnelLead.Query().Where(funnellead.ID(l.ID), funnellead.OwnerID(owner.ID), funnellead.Team(owner.Team)).CountX(ctx); n == 0 {
			t.Fatal("reassigned lead: the rollup keeps the old owner")
		}
		if f, err := svc.Funnel(ctx, byOwner); err != nil || len(f.Groups) != 1 || f.Groups[0].OwnerID == nil || *f.Groups[0].OwnerID != owner.ID || f.Groups[0].Steps[0].Reached != 1 {
			t.Fatalf("reassigned lead: the rollup keeps the old owner: %s %v", mustJSON(f), err)
		}
	})
}

func getCSV(t *testing.T, api *apitest.Instance, path string, status int) [][]string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, api.Server.URL+path, nil)
	req.Header = api.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != status {
		t.Fatalf("GET %s: status %d, want %d", path, resp.StatusCode, status)
	}
	if status != http.StatusOK {
		return nil
	}
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// servedWorld builds a world of n leads, rebuilds its rollup and serves the API over it.
func servedWorld(t *testing.T, db *store.DB, rng *rand.Rand, n int) (*world, *funnel.Service, *apitest.Instance) {
	t.Helper()
	ctx := context.Background()
	svc := funnel.New(db.Client, db.Dialect)
	w := buildWorld(t, ctx, db.Client, svc, rng, n, false)
	if _, err := svc.Rollups().Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	return w, svc, apitest.Start(t, db)
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestFunnelSkipsWhatIsNotAsked: a funnel query that selects only the counts runs only the
// counting scan, and its counts equal those of the full query; the days between steps (a
// sort of every stay) and the exits run only when some field of theirs is selected.
func TestFunnelSkipsWhatIsNotAsked(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := funnel.New(db.Client, db.Dialect)
		buildWorld(t, ctx, db.Client, svc, rand.New(rand.NewPCG(5, 8)), 40, false)
		if _, err := svc.Rollups().Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		api := apitest.Start(t, db)
		var statements int
		funnel.SetTrace(api.App.Funnel, func(string, []any) { statements++ })
		vars := map[string]any{"input": funnel.Input{Period: funnel.Period{From: base, To: base.AddDate(0, 6, 0)},
			GroupBy: []funnel.Dimension{funnel.DimSource}}}
		reached := func(r funnel.Result) (out []int) {
			for _, g := range r.Groups {
				for _, s := range g.Steps {
					out = append(out, s.Reached)
				}
			}
			return out
		}
		for _, c := range []struct {
			name, query string
			want        int
		}{
			{"counts", `query($input: FunnelInput!) { funnel(input: $input) { groups { source steps { stage reached } } } }`, 1},
			{"counts and exits", `query($input: FunnelInput!) { funnel(input: $input) { groups { source steps { stage reached } ...x } } }
fragment x on FunnelGroup { exitsFrom { stage count } }`, 1}, // one scan counts both
			// On PostgreSQL the stays of the first step and of the later ones are two statements.
			{"everything", funnelQuery, map[bool]int{false: 2, true: 3}[db.Dialect == dialect.Postgres]},
		} {
			statements = 0
			var got struct{ Funnel funnel.Result }
			api.Data(t, c.query, vars, &got)
			if statements != c.want {
				t.Errorf("%s: %d statements, want %d", c.name, statements, c.want)
			}
			var full struct{ Funnel funnel.Result }
			api.Data(t, funnelQuery, vars, &full)
			if a, b := mustJSON(reached(got.Funnel)), mustJSON(reached(full.Funnel)); a != b || a == "null" {
				t.Errorf("%s: reached %s, the full query %s", c.name, a, b)
			}
		}
	})
}
