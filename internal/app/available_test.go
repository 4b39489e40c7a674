package app_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

type availability struct {
	Stage   struct{ Key string }
	Allowed bool
	Reasons []struct{ Code, Message string }
}

func availableTransitions(t *testing.T, api *apitest.Instance, id string) (version, history, decisions int, out []availability) {
	t.Helper()
	var r struct {
		Node struct {
			Version              int
			Transitions          struct{ TotalCount int }
			Decisions            struct{ TotalCount int }
			AvailableTransitions []availability
		}
	}
	api.Data(t, `query($id: ID!) { node(id: $id) { ... on Lead { version transitions { totalCount } decisions { totalCount }
		availableTransitions { stage { key } allowed reasons { code message } } } } }`, map[string]any{"id": id}, &r)
	return r.Node.Version, r.Node.Transitions.TotalCount, r.Node.Decisions.TotalCount, r.Node.AvailableTransitions
}

func reasonCodes[T any](rs []T, code func(T) string) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, code(r))
	}
	slices.Sort(out)
	return out
}

// Lead.availableTransitions answers "can it move there, and if not why" for every stage, as
// transitionLead would decide, writing nothing; a caller without transitionLead sees FORBIDDEN.
func TestAvailableTransitionsDecideLikeTransitionLeadAndWriteNothing(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		bdrID := api.User(t, "Bea", "BDR", "emea-bdr")
		bdr := as(t, api, bdrID, "bdr", "emea-bdr")
		analyst := as(t, api, api.User(t, "Ana", "ANALYST", "analytics"), "analyst", "analytics")
		var acc struct{ CreateAccount struct{ ID string } }
		api.Data(t, `mutation { createAccount(input: {name: "Fit GmbH", industry: "manufacturing", employeeCount: 400, country: "DE"}) { id } }`, nil, &acc)
		var created struct{ CreateLead struct{ ID string } }
		bdr.Data(t, `mutation($a: ID!) { createLead(input: {lastName: "News", email: "nina@gmail.com", source: WEB_FORM, country: "DE", accountID: $a}) { id } }`,
			map[string]any{"a": acc.CreateAccount.ID}, &created)
		id := created.CreateLead.ID
		bdr.Data(t, `mutation($id: ID!) { createActivity(input: {kind: NEWSLETTER_SIGNUP, leadID: $id}) { id } }`, map[string]any{"id": id}, &struct{}{})

		v0, h0, d0, opts := availableTransitions(t, bdr, id)
		funnel := []string{"lead", "mql", "sal", "sql", "opportunity", "customer", "nurture", "disqualified"}
		if len(opts) != len(funnel) {
			t.Fatalf("%d options for %d stages: %+v", len(opts), len(funnel), opts)
		}
		for i, key := range funnel {
			if opts[i].Stage.Key != key {
				t.Errorf("option %d is %s, want %s (funnel order)", i, opts[i].Stage.Key, key)
			}
		}
		// Asking twice writes nothing: no version bump, no history, no logged decision.
		v1, h1, d1, again := availableTransitions(t, bdr, id)
		if v1 != v0 || h1 != h0 || d1 != d0 {
			t.Errorf("availableTransitions wrote: version %d→%d, history %d→%d, decisions %d→%d", v0, v1, h0, h1, d0, d1)
		}
		if fmt.Sprint(again) != fmt.Sprint(opts) {
			t.Errorf("answers differ: %+v vs %+v", opts, again)
		}

		// Each refusal is the mutation's refusal, reason for reason; sql needs a decision maker.
		var allowed string
		for _, o := range opts {
			if o.Allowed {
				if allowed == "" && o.Stage.Key != "mql" {
					allowed = o.Stage.Key
				}
				continue
			}
			if len(o.Reasons) == 0 {
				t.Errorf("%s refused without a reason", o.Stage.Key)
			}
			r := transition(bdr, t, id, o.Stage.Key, "", "")
			if codes(r) != "TRANSITION_DENIED" {
				t.Errorf("%s: availableTransitions refused, transitionLead answered %s", o.Stage.Key, codes(r))
				continue
			}
			mutation := reasonCodes(r.Errors[0].Extensions["reasons"].([]any), func(x any) string { return fmt.Sprint(x.(map[string]any)["code"]) })
			query := reasonCodes(o.Reasons, func(x struct{ Code, Message string }) string { return x.Code })
			if !slices.Equal(mutation, query) {
				t.Errorf("%s: reasons %v, transitionLead's %v", o.Stage.Key, query, mutation)
			}
		}
		sql := opts[slices.IndexFunc(opts, func(o availability) bool { return o.Stage.Key == "sql" })]
		if sql.Allowed || !slices.ContainsFunc(sql.Reasons, func(r struct{ Code, Message string }) bool {
			return r.Code == "SQL_NEEDS_DECISION_MAKER" || contains(r.Code, "DECISION_MAKER")
		}) {
			t.Errorf("sql = %+v, want refused for the missing decision maker", sql)
		}
		if allowed == "" {
			t.Fatalf("no stage allowed: %+v", opts)
		}
		if r := transition(bdr, t, id, allowed, "", ""); len(r.Errors) > 0 {
			t.Errorf("%s was said to be allowed, transitionLead refused: %+v", allowed, r.Errors)
		}

		// The analyst may read the lead but not move it: every stage FORBIDDEN.
		_, _, _, ro := availableTransitions(t, analyst, id)
		for _, o := range ro {
			if o.Allowed || len(o.Reasons) == 0 || o.Reasons[0].Code != "FORBIDDEN" {
				t.Errorf("analyst: %+v, want refused with FORBIDDEN", o)
			}
		}
	})
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
