package funnel_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/funnel"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// TestComparisonFilters asks the three analytics queries with the comparison filters an analyst
// reaches for first ("created after X", "id above N", combined with or/not) over HTTP, and
// checks them against the brute force. ent renders a cloned comparison predicate without its
// operator, so these once answered INTERNAL on both databases.
func TestComparisonFilters(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := funnel.New(db.Client, db.Dialect)
		w := buildWorld(t, ctx, db.Client, svc, rand.New(rand.NewPCG(21, 5)), 60, false)
		if _, err := svc.Rollups().Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		api := apitest.Start(t, db)
		vars := func(in any) map[string]any { return map[string]any{"input": in} }
		period := funnel.Period{From: base, To: base.AddDate(0, 6, 0)}

		cut := base.AddDate(0, 1, 0)
		midID := w.leads[len(w.leads)/2].id
		cases := []struct {
			name  string
			where *ent.LeadWhereInput
			keep  func(m *mlead) bool
		}{
			{"createdAtGT", &ent.LeadWhereInput{CreatedAtGT: &cut}, func(m *mlead) bool { return m.created.After(cut) }},
			{"createdAtLTE", &ent.LeadWhereInput{CreatedAtLTE: &cut}, func(m *mlead) bool { return !m.created.After(cut) }},
			{"idGT", &ent.LeadWhereInput{IDGT: &midID}, func(m *mlead) bool { return m.id > midID }},
			{"not idGTE", &ent.LeadWhereInput{Not: &ent.LeadWhereInput{IDGTE: &midID}}, func(m *mlead) bool { return m.id < midID }},
			{"or", &ent.LeadWhereInput{Or: []*ent.LeadWhereInput{{IDLT: &midID}, {CreatedAtGT: &cut}}},
				func(m *mlead) bool { return m.id < midID || m.created.After(cut) }},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				in := funnel.Input{Period: period, Where: c.where, GroupBy: []funnel.Dimension{funnel.DimSource}}
				var f struct{ Funnel funnel.Result }
				api.Data(t, funnelQuery, vars(in), &f)
				compareFunnel(t, c.name, f.Funnel.Groups, w.bruteFunnel(in, c.keep), false)

				var d struct{ StageDurations funnel.Durations }
				api.Data(t, durationsQuery, vars(in), &d)
				compareDurations(t, c.name, d.StageDurations.Groups, w.bruteDurations(in, c.keep), false)

				tin := funnel.TrendInput{From: "mql", To: "sql", Period: period, Interval: funnel.IntervalMonth, Where: c.where}
				var tr struct{ ConversionTrend funnel.Trend }
				api.Data(t, trendQuery, vars(tin), &tr)
				if b, want := mustJSON(tr.ConversionTrend.Points), mustJSON(w.bruteTrend(tin, c.keep)); b != want {
					t.Fatalf("trend: got %s, want %s", b, want)
				}
			})
		}

		// The CSV export groups by every dimension, owner included, with the owner's name.
		where, _ := json.Marshal(&ent.LeadWhereInput{CreatedAtGT: &cut})
		for _, dim := range []string{"source", "owner", "team", "industry", "region", "cohort_month", "owner_at_reach", "team_at_reach"} {
			q := fmt.Sprintf("/export/funnel.csv?from=%s&to=%s&groupBy=%s&where=%s", period.From.Format(time.RFC3339),
				period.To.Format(time.DateOnly), dim, url.QueryEscape(string(where)))
			rows := getCSV(t, api, q, http.StatusOK)
			if len(rows) < 2 {
				t.Fatalf("csv by %s: %d rows", dim, len(rows))
			}
			if dim == "owner" || dim == "owner_at_reach" {
				if rows[0][1] != dim || rows[0][2] != dim+"_name" {
					t.Fatalf("csv by %s: header %v", dim, rows[0])
				}
				named := 0
				for _, r := range rows[1:] {
					if r[2] != "" {
						named++
					}
				}
				if named == 0 {
					t.Fatalf("csv by %s: no owner names in %v", dim, rows)
				}
			}
		}
	})
}
