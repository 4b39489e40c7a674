package app_test

import (
	"strings"
	"testing"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

type routedMove struct {
	ToStage                                 struct{ Key string }
	RoutingTeam, RoutingCode, RoutingReason string
	AssignedOwner                           *struct{ ID string }
}

// toSAL brings a lead of account to sal (an appointment request, then a manual move if the
// policy did not move it) and returns its owner and the history row that entered sal.
func toSAL(t *testing.T, api *apitest.Instance, accountID, email string) (*struct{ ID string }, routedMove) {
	t.Helper()
	var l struct{ CreateLead struct{ ID string } }
	api.Data(t, `mutation($a: ID!, $e: String!) { createLead(input: {lastName: "Routed", email: $e, source: TRADE_FAIR, accountID: $a}) { id } }`,
		map[string]any{"a": accountID, "e": email}, &l)
	id := l.CreateLead.ID
	api.Data(t, `mutation($id: ID!) { createActivity(input: {kind: APPOINTMENT_REQUEST, leadID: $id}) { id } }`, map[string]any{"id": id}, &struct{}{})
	if getLead(t, api, id).Stage.Key != "sal" {
		if r := transition(api, t, id, "sal", "", "appointment booked"); len(r.Errors) > 0 {
			t.Fatalf("to sal: %+v", r.Errors)
		}
	}
	var out struct {
		Node struct {
			Stage       struct{ Key string }
			Owner       *struct{ ID string }
			Transitions struct{ Edges []struct{ Node routedMove } }
		}
	}
	api.Data(t, `query($id: ID!) { node(id: $id) { ... on Lead { stage { key } owner { id }
		transitions(first: 1) { edges { node { toStage { key } routingTeam routingCode routingReason assignedOwner { id } } } } } } }`,
		map[string]any{"id": id}, &out)
	if out.Node.Stage.Key != "sal" || len(out.Node.Transitions.Edges) == 0 {
		t.Fatalf("lead %s is in %s, history %+v", id, out.Node.Stage.Key, out.Node.Transitions)
	}
	return out.Node.Owner, out.Node.Transitions.Edges[0].Node
}

// A GB account routes to emea-bdr. With no one there the routing policy's fallback (the stage's
// default team) takes the lead, and the history says so; with no one there either, the owner
// stays and the history says why: never a silent null owner.
func TestRoutingFallsBackWhenTheTeamHasNoActiveMember(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		gilID := api.User(t, "Gil", "BDR", "global-bdr")
		bdr := as(t, api, gilID, "bdr", "global-bdr")
		var acc struct{ CreateAccount struct{ ID, Region string } }
		api.Data(t, `mutation { createAccount(input: {name: "Albion Works", domain: "albion.co.uk", industry: "manufacturing", employeeCount: 400, country: "GB"}) { id region } }`, nil, &acc)
		if acc.CreateAccount.Region != "EMEA" {
			t.Fatalf("GB account region = %q, want EMEA", acc.CreateAccount.Region)
		}

		owner, tr := toSAL(t, bdr, acc.CreateAccount.ID, "first@albion.co.uk")
		if owner == nil || owner.ID != gilID || tr.AssignedOwner == nil || tr.AssignedOwner.ID != gilID {
			t.Errorf("owner %+v, assigned %+v; want the global-bdr user %s", owner, tr.AssignedOwner, gilID)
		}
		if tr.RoutingTeam != "global-bdr" || tr.RoutingCode != "ROUTE_FALLBACK" || !strings.Contains(tr.RoutingReason, "emea-bdr") {
			t.Errorf("history row = %+v; want global-bdr by ROUTE_FALLBACK naming emea-bdr", tr)
		}

		// With an emea-bdr user the rule's team takes it, as the policy's rule says.
		beaID := api.User(t, "Bea", "BDR", "emea-bdr")
		owner, tr = toSAL(t, api, acc.CreateAccount.ID, "second@albion.co.uk")
		if owner == nil || owner.ID != beaID || tr.RoutingTeam != "emea-bdr" || tr.RoutingCode != "ROUTE_RULE" || tr.RoutingReason == "" {
			t.Errorf("owner %+v, history row %+v; want emea-bdr's %s by ROUTE_RULE", owner, tr, beaID)
		}

		// Nobody active in either team: the owner stays, and the row says why.
		for _, id := range []string{gilID, beaID} {
			api.Data(t, `mutation($id: ID!) { updateUser(id: $id, input: {active: false}) { id } }`, map[string]any{"id": id}, &struct{}{})
		}
		_, tr = toSAL(t, api, acc.CreateAccount.ID, "third@albion.co.uk")
		if tr.AssignedOwner != nil || tr.RoutingTeam != "" || tr.RoutingCode != "ROUTE_NO_MEMBER" ||
			!strings.Contains(tr.RoutingReason, "emea-bdr, global-bdr") {
			t.Errorf("history row = %+v; want no owner assigned, ROUTE_NO_MEMBER naming emea-bdr, global-bdr", tr)
		}
	})
}
