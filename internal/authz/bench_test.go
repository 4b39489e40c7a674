package authz_test

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/store"
)

// recorder is an ent driver that keeps the statements of the last request, for EXPLAIN.
type recorder struct {
	dialect.Driver
	mu    sync.Mutex
	stmts []stmt
}

type stmt struct {
	query string
	args  []any
}

func (r *recorder) Query(ctx context.Context, query string, args, v any) error {
	r.mu.Lock()
	a, _ := args.([]any)
	r.stmts = append(r.stmts, stmt{query, a})
	r.mu.Unlock()
	return r.Driver.Query(ctx, query, args, v)
}

// QueryContext serves the raw statements of the counters (internal/leadcount, contactcount),
// which the embedded interface would not expose.
func (r *recorder) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	r.mu.Lock()
	r.stmts = append(r.stmts, stmt{query, args})
	r.mu.Unlock()
	q, ok := r.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*stdsql.Rows, error)
	})
	if !ok {
		return nil, fmt.Errorf("recorder: %T has no QueryContext", r.Driver)
	}
	return q.QueryContext(ctx, query, args...)
}

func (r *recorder) take() []stmt {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stmts
	r.stmts = nil
	return s
}

// BenchmarkRowFilteredPage compares a BDR's pages (row-filtered: own, team and the unowned pool)
// with revops' (unfiltered) over GraphQL on a seeded PostgreSQL database with stock settings
// (JIT on), alternating the two callers request by request, and reports the ratio of their mean
// latencies per shape: leads with their edges, the README's list query, search, contacts with
// their totalCount and with a where, accounts counted by a where on their contacts, and leads
// with their activities. It then prints the plan summary (EXPLAIN ANALYZE; the whole plans with
// QUALIFY_BENCH_PLANS=1) of every statement of the BDR's last request. It reads only; seed the
// database first (a shape runs alone with -bench 'RowFiltered/contacts_count'):
//
//	psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE bench_x'
//	qualify migrate --database-url $URL && qualify seed --database-url $URL --leads 100000 --seed 16
//	QUALIFY_BENCH_DATABASE_URL=$URL go test ./internal/authz -run '^$' -bench RowFiltered -benchtime 20x
func BenchmarkRowFilteredPage(b *testing.B) {
	url := os.Getenv("QUALIFY_BENCH_DATABASE_URL")
	if url == "" {
		b.Skip("QUALIFY_BENCH_DATABASE_URL names no seeded PostgreSQL database")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{URL: url})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	var leads int
	var jit string
	if err := db.SQL.QueryRowContext(ctx, `SELECT count(*), current_setting('jit') FROM leads`).Scan(&leads, &jit); err != nil {
		b.Fatal(err)
	}
	// The BDR with the most leads in the team filter's reach: the heaviest filtered page.
	var bdrID int
	var team string
	if err := db.SQL.QueryRowContext(ctx, `SELECT u.id, u.team FROM users u JOIN leads l ON l.owner_id = u.id
		WHERE u.role = 'BDR' AND u.active GROUP BY u.id, u.team ORDER BY count(*) DESC, u.id LIMIT 1`).Scan(&bdrID, &team); err != nil {
		b.Fatal(err)
	}
	var revopsID int
	if err := db.SQL.QueryRowContext(ctx, `SELECT id FROM users WHERE role = 'REVOPS' AND active ORDER BY id LIMIT 1`).Scan(&revopsID); err != nil {
		b.Fatal(err)
	}
	var prefix string
	if err := db.SQL.QueryRowContext(ctx, `SELECT lower(substr(last_name, 1, 3)) FROM leads ORDER BY id LIMIT 1 OFFSET 500`).Scan(&prefix); err != nil {
		b.Fatal(err)
	}
	rec := &recorder{Driver: entsql.OpenDB(db.Dialect, db.SQL)}
	recorded := *db
	recorded.Client = ent.NewClient(ent.Driver(rec))
	api := apitest.Start(b, &recorded, func(c *app.Config) { c.Sweep.Interval = -1 })
	callers := map[string]*apitest.Instance{
		"bdr":    api.As(b, "bdr", team, fmt.Sprint(bdrID)),
		"revops": api.As(b, "revops", "revops", fmt.Sprint(revopsID)),
	}
	b.Logf("%d leads, jit=%s, bdr %d of %s", leads, jit, bdrID, team)
	for _, shape := range []struct{ name, query string }{
		{"page of 50", `{ leads(first: 50, orderBy: [{field: CREATED_AT, direction: DESC}]) { totalCount edges { node {
			id lastName account { name domain } contacts { edges { node { email buyingRole } } } stage { key name }
			transitions(last: 3) { edges { node { fromStage { key } toStage { key } occurredAt } } } } } } }`},
		{"README list query", readmeListQuery(b)},
		{"search", fmt.Sprintf(`{ leads(first: 20, search: %q) { totalCount edges { node { id firstName lastName } } } }`, prefix)},
		{"contacts count", `{ contacts(first: 20) { totalCount edges { node { id email buyingRole } } } }`},
		{"contacts by name", `{ contacts(first: 20, orderBy: [{field: LAST_NAME}]) { totalCount edges { node { id lastName } } } }`},
		{"contacts where", `{ contacts(first: 20, where: {buyingRole: DECISION_MAKER, hasLeadsWith: [{hasAccount: true}]}) { totalCount edges { node { id email } } } }`},
		{"accounts count", `{ accounts(first: 20, where: {hasContactsWith: [{buyingRole: DECISION_MAKER}]}) { totalCount edges { node {
			name contacts { totalCount } leads { totalCount } } } } }`},
		{"activities page", `{ activities(first: 20, orderBy: {field: OCCURRED_AT, direction: DESC}) { totalCount edges { node { id kind } } } }`},
		{"lead activities", `{ leads(first: 50, orderBy: [{field: CREATED_AT, direction: DESC}]) { totalCount edges { node {
			id lastName activities(first: 5) { totalCount edges { node { kind occurredAt contact { email } } } } } } } }`},
	} {
		b.Run(shape.name, func(b *testing.B) {
			spent := map[string]time.Duration{}
			rows := map[string]int{}
			for _, who := range []string{"bdr", "revops"} { // warm up: caches, prepared plans
				rows[who] = page(b, callers[who], shape.query)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				order := []string{"bdr", "revops"}
				if i%2 == 1 {
					slices.Reverse(order)
				}
				for _, who := range order {
					start := time.Now()
					page(b, callers[who], shape.query)
					spent[who] += time.Since(start)
				}
			}
			b.StopTimer()
			bdr, revops := spent["bdr"]/time.Duration(b.N), spent["revops"]/time.Duration(b.N)
			b.ReportMetric(float64(bdr.Microseconds())/1000, "bdr-ms")
			b.ReportMetric(float64(revops.Microseconds())/1000, "revops-ms")
			b.ReportMetric(float64(bdr)/float64(revops), "bdr/revops")
			rec.take()
			page(b, callers["bdr"], shape.query)
			// Printed, not logged: the benchmark log is cut after a few lines.
			fmt.Printf("== %s: bdr %s (total %d), revops %s (total %d)\n", shape.name, bdr, rows["bdr"], revops, rows["revops"])
			for _, s := range rec.take() {
				if q := strings.TrimSpace(s.query); strings.HasPrefix(q, "SELECT") || strings.HasPrefix(q, "WITH") {
					explain(b, db, s)
				}
			}
		})
	}
}

// page runs q and returns the totalCount of its root connection.
func page(b *testing.B, api *apitest.Instance, q string) int {
	var out map[string]struct{ TotalCount int }
	api.Data(b, q, nil, &out)
	for _, root := range out {
		return root.TotalCount
	}
	return 0
}

// explain prints the statement's plan summary: cost, JIT and execution time.
func explain(b *testing.B, db *store.DB, s stmt) {
	rows, err := db.SQL.QueryContext(context.Background(), "EXPLAIN (ANALYZE, BUFFERS) "+s.query, s.args...)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			b.Fatal(err)
		}
		plan = append(plan, line)
	}
	head := s.query
	if len(head) > 160 {
		head = head[:160] + "…"
	}
	fmt.Printf("-- %s\n   %s\n", head, plan[0])
	for _, l := range plan[1:] {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "JIT") || strings.HasPrefix(t, "Functions") ||
			strings.HasPrefix(t, "Timing") || strings.HasPrefix(t, "Execution") || strings.HasPrefix(t, "Planning Time") {
			fmt.Printf("   %s\n", t)
		}
	}
	if os.Getenv("QUALIFY_BENCH_PLANS") != "" {
		fmt.Println(strings.Join(plan, "\n"))
	}
}

func readmeListQuery(b *testing.B) string {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		b.Fatal(err)
	}
	m := regexp.MustCompile("(?s)\\*\\*Frontend teams\\*\\*.*?```graphql\n(.*?)```").FindStringSubmatch(string(raw))
	if m == nil {
		b.Fatal("no frontend list query in the README")
	}
	return m[1]
}
