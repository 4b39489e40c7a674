package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/seed"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// With an analytics database, the analytics queries and their CSV exports read through it and
// answer what the primary answers, row filters included; writes stay on the primary. The
// "replica" is a second connection to the test database that PostgreSQL keeps read-only
// (default_transaction_read_only), so a write sent through it would fail.
func TestAnalyticsReadFromTheReplica(t *testing.T) {
	testenv.Want(t, "postgres")
	ctx := context.Background()
	primaryURL := testenv.PostgresURL(t)
	primary, err := store.Open(ctx, store.Config{URL: primaryURL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { primary.Close() })
	if _, err := seed.Run(ctx, primary.Client, seed.Options{Leads: 300, Seed: 4, Now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Pool: primary.SQL}); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(primaryURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("options", "-c default_transaction_read_only=on")
	q.Set("application_name", "qualify_analytics")
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20") // pgx reads a '+' literally
	replica, err := store.Open(ctx, store.Config{URL: u.String()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { replica.Close() })
	if err := replica.Client.User.Create().SetName("x").SetEmail("x@example.com").SetRole("ADMIN").Exec(ctx); err == nil ||
		!strings.Contains(err.Error(), "read-only") {
		t.Fatalf("a write through the replica connection: %v, want a read-only refusal", err)
	}
	counted, reads := countingDB(replica)

	both := apitest.Start(t, primary, func(c *app.Config) { c.Analytics = counted })
	alone := apitest.Start(t, primary)
	bdr := both.User(t, "Bea", "BDR", "emea")

	period := map[string]any{"from": "2025-05-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"}
	in := func(extra map[string]any) map[string]any {
		m := map[string]any{"period": period}
		for k, v := range extra {
			m[k] = v
		}
		return map[string]any{"input": m}
	}
	cases := []struct {
		name, query string
		vars        map[string]any
	}{
		{"funnel by source", `query($input: FunnelInput!) { funnel(input: $input) { source groups { source steps { stage reached conversionFromPrevious medianDaysToNext } exits { stage reasonCode count } } } }`,
			in(map[string]any{"groupBy": []string{"SOURCE"}})},
		{"funnel with a where", `query($input: FunnelInput!) { funnel(input: $input) { source groups { ownerId ownerName steps { stage reached } } } }`,
			in(map[string]any{"groupBy": []string{"OWNER"}, "where": map[string]any{"createdAtGT": "2026-01-01T00:00:00Z", "hasAccountWith": []any{map[string]any{"industryNEQ": "RETAIL"}}}})},
		{"stage durations", `query($input: FunnelInput!) { stageDurations(input: $input) { source groups { region stages { stage leads latest { median p90 } } } } }`,
			in(map[string]any{"groupBy": []string{"REGION"}, "exact": true})},
		{"conversion trend", `query($input: ConversionTrendInput!) { conversionTrend(input: $input) { source points { periodStart reachedFrom reachedTo conversion } } }`,
			in(map[string]any{"from": "mql", "to": "sql", "interval": "MONTH"})},
		{"sla report", `query($period: FunnelPeriod!) { slaReport(period: $period, groupBy: OWNER) { groups { ownerId team slas { rule entered met breached open } } } }`,
			map[string]any{"period": period}},
	}
	callers := []struct {
		name string
		via  func(*apitest.Instance) *apitest.Instance
	}{
		{"analyst", func(i *apitest.Instance) *apitest.Instance { return i.As(t, "analyst", "", "") }},
		{"bdr", func(i *apitest.Instance) *apitest.Instance { return i.As(t, "bdr", "emea", bdr) }},
	}
	for _, who := range callers {
		for _, c := range cases {
			reads.Store(0)
			got := who.via(both).Do(t, c.query, c.vars)
			n := reads.Load()
			want := who.via(alone).Do(t, c.query, c.vars)
			if len(got.Errors) > 0 || len(want.Errors) > 0 {
				t.Fatalf("%s, %s: errors %v / %v", who.name, c.name, got.Errors, want.Errors)
			}
			if n == 0 {
				t.Errorf("%s, %s: no statement went through the analytics connection", who.name, c.name)
			}
			if string(got.Data) != string(want.Data) {
				t.Errorf("%s, %s: through the replica\n%s\nfrom the primary\n%s", who.name, c.name, got.Data, want.Data)
			}
			if !json.Valid(got.Data) || len(got.Data) < 30 {
				t.Errorf("%s, %s: answer %s proves little", who.name, c.name, got.Data)
			}
		}
	}

	// The CSV exports run the same queries, so they read through the replica too.
	for _, path := range []string{"/export/funnel.csv?from=2025-05-01&to=2026-11-01&groupBy=source", "/export/sla.csv?from=2025-05-01&to=2026-11-01&groupBy=team"} {
		reads.Store(0)
		req, _ := http.NewRequest(http.MethodGet, both.Server.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+apitest.Token(t, "analyst", "", ""))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || reads.Load() == 0 {
			t.Errorf("%s: %d, %d statements through the replica\n%s", path, res.StatusCode, reads.Load(), body)
		}
	}

	// A write goes to the primary: the replica connection would refuse it.
	reads.Store(0)
	var created struct{ CreateLead struct{ ID string } }
	both.Data(t, `mutation { createLead(input: {source: WEB_FORM, lastName: "Replica"}) { id } }`, nil, &created)
	if created.CreateLead.ID == "" {
		t.Fatal("createLead returned no id")
	}
}
