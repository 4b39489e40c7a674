package app_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"entgo.io/ent/dialect"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/seed"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// countingDB returns db with an ent client that counts every SQL statement it sends.
func countingDB(db *store.DB) (*store.DB, *atomic.Int64) {
	var n atomic.Int64
	drv := dialect.DebugWithContext(entsql.OpenDB(db.Dialect, db.SQL), func(context.Context, ...any) { n.Add(1) })
	counted := *db
	counted.Client = ent.NewClient(ent.Driver(drv))
	return &counted, &n
}

// A page of leads with account, contacts and stage costs a constant number of statements,
// whatever the page size: no N+1.
func TestLeadPageQueryCount(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := seed.Run(ctx, db.Client, seed.Options{Leads: 250, Seed: 7, Now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
			t.Fatal(err)
		}
		counted, n := countingDB(db)
		api := apitest.Start(t, counted, func(c *app.Config) { c.PageMax = 200 })
		for _, size := range []int{10, 50, 200} {
			q := fmt.Sprintf(`{ leads(first: %d, orderBy: [{field: CREATED_AT, direction: DESC}]) { totalCount edges { node {
				id lastName account { name domain } contacts { edges { node { email buyingRole } } } stage { key name } } } } }`, size)
			n.Store(0)
			var out struct {
				Leads struct {
					Edges []struct {
						Node struct {
							Account  *struct{ Name string }
							Contacts struct{ Edges []any }
							Stage    struct{ Key string }
						}
					}
				}
			}
			api.Data(t, q, nil, &out)
			got := n.Load()
			if len(out.Leads.Edges) != size {
				t.Fatalf("page %d: got %d leads", size, len(out.Leads.Edges))
			}
			withContacts := 0
			for _, e := range out.Leads.Edges {
				if e.Node.Stage.Key == "" {
					t.Fatalf("page %d: lead without stage", size)
				}
				if len(e.Node.Contacts.Edges) > 0 {
					withContacts++
				}
			}
			if withContacts == 0 {
				t.Fatalf("page %d: no lead has contacts; the shape is not exercised", size)
			}
			t.Logf("%s: page of %d leads with account, contacts, stage: %d SQL statements", db.Dialect, size, got)
			if got > 5 {
				t.Errorf("page of %d leads took %d SQL statements, want <= 5", size, got)
			}
		}
	})
}
