package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/seed"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// A page of accounts with their decision-maker coverage (who, reached by what, when, via which
// lead) costs the same number of statements whatever the page size: no statement per account or
// per decision maker.
func TestAccountCoverageQueryCount(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := seed.Run(ctx, db.Client, seed.Options{Leads: 250, Seed: 7, Now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
			t.Fatal(err)
		}
		counted, n := countingDB(db)
		api := apitest.Start(t, counted, func(c *app.Config) { c.PageMax = 200 })
		api.Data(t, `{ accounts(first: 1) { edges { node { id } } } }`, nil, &struct{}{})
		counts := map[int]int64{}
		for _, size := range []int{5, 20, 60} {
			q := fmt.Sprintf(`{ accounts(first: %d, orderBy: {field: NAME, direction: ASC}) { edges { node { id name
				decisionMakerCoverage { contact { id email } reached lastActivityAt lastActivity { id kind } viaLead { id } } } } } }`, size)
			var out struct {
				Accounts struct {
					Edges []struct {
						Node struct {
							DecisionMakerCoverage []struct {
								Reached      bool
								LastActivity *struct{ Kind string }
								ViaLead      *struct{ ID string }
							}
						}
					}
				}
			}
			n.Store(0)
			api.Data(t, q, nil, &out)
			counts[size] = n.Load()
			dms, reached := 0, 0
			for _, e := range out.Accounts.Edges {
				for _, c := range e.Node.DecisionMakerCoverage {
					dms++
					if c.Reached != (c.LastActivity != nil) {
						t.Fatalf("reached %v with last activity %v", c.Reached, c.LastActivity)
					}
					if c.Reached {
						reached++
					}
				}
			}
			t.Logf("%s: %d accounts, %d decision makers (%d reached): %d statements", db.Dialect, len(out.Accounts.Edges), dms, reached, counts[size])
			if len(out.Accounts.Edges) != size || dms <= size/2 || reached == 0 {
				t.Fatalf("page of %d: %d accounts, %d decision makers, %d reached: the shape is not exercised", size, len(out.Accounts.Edges), dms, reached)
			}
		}
		// The batch answers as one account alone does (node: no list, no batch).
		var page struct {
			Accounts struct {
				Edges []struct {
					Node struct {
						ID                    string
						DecisionMakerCoverage json.RawMessage
					}
				}
			}
		}
		const cov = `decisionMakerCoverage { contact { id } reached lastActivityAt lastActivity { id } viaLead { id } }`
		api.Data(t, `{ accounts(first: 60, orderBy: {field: NAME, direction: ASC}) { edges { node { id `+cov+` } } } }`, nil, &page)
		for _, e := range page.Accounts.Edges {
			var one struct {
				Node struct{ DecisionMakerCoverage json.RawMessage }
			}
			api.Data(t, `query($id: ID!) { node(id: $id) { ... on Account { `+cov+` } } }`, map[string]any{"id": e.Node.ID}, &one)
			if string(one.Node.DecisionMakerCoverage) != string(e.Node.DecisionMakerCoverage) {
				t.Errorf("account %s: in a page %s, alone %s", e.Node.ID, e.Node.DecisionMakerCoverage, one.Node.DecisionMakerCoverage)
			}
		}
		if counts[5] != counts[60] || counts[20] != counts[60] {
			t.Errorf("statements by page size %v: they grow with the page", counts)
		}
	})
}
