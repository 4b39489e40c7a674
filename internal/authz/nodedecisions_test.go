package authz_test

import (
	"testing"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// node(id) of a lead asks the policy once, for node itself: whether the caller may see API keys
// and simulations is asked only when the id is one (the access matrix checks the answers).
func TestNodeOfALeadAsksThePolicyOnce(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		var lead struct{ CreateLead struct{ ID string } }
		api.Data(t, `mutation { createLead(input: {lastName: "Once", email: "once@mail.example", source: WEB_FORM}) { id } }`, nil, &lead)
		authzDecisions := func() int {
			var out struct {
				PolicyStatus struct {
					Decisions []struct {
						Decision string
						Count    int
					}
				}
			}
			api.Data(t, `{ policyStatus { decisions { decision count } } }`, nil, &out)
			n := 0
			for _, d := range out.PolicyStatus.Decisions {
				if d.Decision == "data.qualify.authz.decision" {
					n += d.Count
				}
			}
			return n
		}
		before := authzDecisions()
		api.Data(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": lead.CreateLead.ID}, &struct{}{})
		// The second policyStatus is a root field too: one decision.
		if n := authzDecisions() - before - 1; n != 1 {
			t.Errorf("node(id) of a lead took %d authz decisions, want 1", n)
		}
	})
}
