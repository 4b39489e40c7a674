package app_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/ent/stage"
	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/seed"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// countingDB returns db with an ent client that counts the statements sent for HTTP requests
// (apitest.CountStatements): the app's background work shares the client and would otherwise
// land in whichever request it happened to run beside.
func countingDB(db *store.DB) (*store.DB, *requestStatements) {
	counted, st := apitest.CountStatements(db)
	return counted, &requestStatements{st}
}

// requestStatements counts what apitest.Statements records.
type requestStatements struct{ st *apitest.Statements }

func (r *requestStatements) Store(int64) { r.st.Take() }
func (r *requestStatements) Load() int64 { return int64(r.st.Len()) }

// A page of leads with account, contacts and stage costs a constant number of statements,
// whatever the page size: no N+1.
func TestLeadPageQueryCount(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := seed.Run(ctx, db.Client, seed.Options{Leads: 250, Seed: 7, Now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
			t.Fatal(err)
		}
		// A word every lead has, so that a searched page is full.
		if err := db.Client.Lead.Update().SetJobTitle("Head of Sales").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		counted, n := countingDB(db)
		api := apitest.Start(t, counted, func(c *app.Config) { c.PageMax = 200 })
		// One request first: it fills the stage cache and lets the app's start-up work settle.
		api.Data(t, `{ leads(first: 1) { edges { node { stage { key } } } } }`, nil, &struct{}{})
		for _, shape := range []struct {
			size int
			args string
		}{
			{10, `orderBy: [{field: CREATED_AT, direction: DESC}]`}, {50, `orderBy: [{field: CREATED_AT, direction: DESC}]`},
			{200, `orderBy: [{field: CREATED_AT, direction: DESC}]`},
			// A ranked search: its match and rank are a join of the page's statements, not a statement per row.
			{10, `search: "head sal"`}, {50, `search: "head sal"`}, {200, `search: "head sal"`},
		} {
			size := shape.size
			q := fmt.Sprintf(`{ leads(first: %d, %s) { totalCount edges { node {
				id lastName account { name domain } contacts { edges { node { email buyingRole } } } stage { key name } } } } }`, size, shape.args)
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
			t.Logf("%s: page of %d leads (%s) with account, contacts, stage: %d SQL statements", db.Dialect, size, shape.args, got)
			if got == 0 || got > 5 {
				t.Errorf("page of %d leads (%s) took %d SQL statements, want 1 to 5", size, shape.args, got)
			}
		}
	})
}

// A page of leads with account, contacts, stage and the last transitions with their stages, and
// the README's list query for frontend teams, cost at most 5 statements whatever the page size:
// stages come from memory.
func TestLeadPageWithTransitionsQueryCount(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)\\*\\*Frontend teams\\*\\*.*?```graphql\n(.*?)```").FindStringSubmatch(string(raw))
	if m == nil {
		t.Fatal("no frontend list query in the README")
	}
	readme := m[1]
	if !strings.Contains(readme, "leads(first: 20,") {
		t.Fatalf("the README's list query changed shape:\n%s", readme)
	}
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := seed.Run(ctx, db.Client, seed.Options{Leads: 250, Seed: 7, Now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
			t.Fatal(err)
		}
		// The README's query lists hot mql leads: make every lead one, so that its pages are full.
		mql, err := db.Client.Stage.Query().Where(stage.Key("mql")).OnlyID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Client.Lead.Update().SetTemperature(lead.TemperatureHOT).SetStageID(mql).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		counted, n := countingDB(db)
		api := apitest.Start(t, counted, func(c *app.Config) { c.PageMax = 200 })
		// One request first: it fills the stage cache and lets the app's start-up work settle.
		api.Data(t, `{ leads(first: 1) { edges { node { stage { key } } } } }`, nil, &struct{}{})
		for _, size := range []int{10, 50, 200} {
			shapes := map[string]string{
				"leads with transitions": fmt.Sprintf(`{ leads(first: %d, orderBy: [{field: CREATED_AT, direction: DESC}]) { totalCount edges { node {
					id account { name } contacts { edges { node { email } } } stage { key }
					transitions(last: 3) { edges { node { fromStage { key } toStage { key } } } } } } } }`, size),
				"README list query": strings.Replace(readme, "leads(first: 20,", fmt.Sprintf("leads(first: %d,", size), 1),
			}
			for name, q := range shapes {
				n.Store(0)
				var out struct {
					Leads struct {
						Edges []struct {
							Node struct {
								Stage       struct{ Key string }
								Transitions struct {
									Edges []struct {
										Node struct{ ToStage struct{ Key string } }
									}
								}
							}
						}
					}
				}
				api.Data(t, q, nil, &out)
				got := n.Load()
				for _, e := range out.Leads.Edges {
					if e.Node.Stage.Key == "" {
						t.Fatalf("%s, %d: a lead without its stage", name, size)
					}
					for _, tr := range e.Node.Transitions.Edges {
						if tr.Node.ToStage.Key == "" {
							t.Fatalf("%s, %d: a transition without its stage", name, size)
						}
					}
				}
				t.Logf("%s: %s, page of %d (%d rows): %d SQL statements", db.Dialect, name, size, len(out.Leads.Edges), got)
				if len(out.Leads.Edges) != size {
					t.Fatalf("%s: %d rows, want a full page of %d", name, len(out.Leads.Edges), size)
				}
				if got == 0 || got > 5 {
					t.Errorf("%s, page of %d: %d SQL statements, want 1 to 5", name, size, got)
				}
			}
		}
	})
}
