package fulltext_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/seed"
	"github.com/qualify/qualify/internal/testenv"
)

// capture is an ent driver that keeps the last search statement, for EXPLAIN.
type capture struct {
	dialect.Driver
	query string
	args  []any
}

func (c *capture) Query(ctx context.Context, query string, args, v any) error {
	if strings.Contains(query, "search_hits") && !strings.Contains(query, "COUNT(") {
		c.query, c.args = query, args.([]any)
	}
	return c.Driver.Query(ctx, query, args, v)
}

// BenchmarkSearch reports the latency of a page of 20 searched leads (with totalCount) over
// GraphQL on PostgreSQL with SEARCH_BENCH_LEADS seeded leads (default 100000), for a name prefix
// and a domain fragment, and logs the plan of each search statement.
//
//	DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test ./internal/fulltext -run '^$' -bench Search -benchtime 20x
func BenchmarkSearch(b *testing.B) {
	leads := 100_000
	if n, err := strconv.Atoi(os.Getenv("SEARCH_BENCH_LEADS")); err == nil && n > 0 {
		leads = n
	}
	ctx := context.Background()
	db := testenv.Postgres(b)
	start := time.Now()
	if _, err := seed.Run(ctx, db.Client, seed.Options{Leads: leads, Seed: 16, Now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		b.Fatal(err)
	}
	if _, err := db.SQL.ExecContext(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d leads in %s", leads, time.Since(start).Round(time.Second))
	var last, domain string
	if err := db.SQL.QueryRowContext(ctx, `SELECT last_name FROM leads ORDER BY id LIMIT 1 OFFSET 500`).Scan(&last); err != nil {
		b.Fatal(err)
	}
	if err := db.SQL.QueryRowContext(ctx, `SELECT a.domain FROM accounts a WHERE a.domain IS NOT NULL AND EXISTS (SELECT 1 FROM leads l WHERE l.account_id = a.id) ORDER BY a.id LIMIT 1 OFFSET 100`).Scan(&domain); err != nil {
		b.Fatal(err)
	}
	cp := &capture{Driver: entsql.OpenDB(db.Dialect, db.SQL)}
	captured := *db
	captured.Client = ent.NewClient(ent.Driver(cp))
	api := apitest.Start(b, &captured)
	for _, tc := range []struct{ name, search string }{
		{"name prefix", string([]rune(strings.ToLower(last))[:3])},
		{"domain fragment", domain},
		{"two words", string([]rune(strings.ToLower(last))[:3]) + " " + strings.SplitN(domain, ".", 2)[0]},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var out struct {
				Leads struct {
					TotalCount int
					Edges      []any
				}
			}
			q := `query($s: String) { leads(first: 20, search: $s) { totalCount edges { node { id lastName } } } }`
			api.Data(b, q, map[string]any{"s": tc.search}, &out)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				api.Data(b, q, map[string]any{"s": tc.search}, &out)
			}
			b.StopTimer()
			b.Logf("search %q: %d matches, page of %d", tc.search, out.Leads.TotalCount, len(out.Leads.Edges))
			rows, err := db.SQL.QueryContext(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+cp.query, cp.args...)
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
			// Printed, not logged: the benchmark log is cut after a few lines.
			fmt.Printf("plan of %q:\n%s\n", tc.search, strings.Join(plan, "\n"))
		})
	}
}
