package cost_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/testenv"
)

func aliases(n int, field string) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, " a%d: %s", i, field)
	}
	return b.String() + " }"
}

// An operation is refused by what it can return, before it runs: the refusal names the cost
// and the limit.
func TestCostCountsWhatAQueryCanReturn(t *testing.T) {
	api := apitest.Start(t, testenv.SQLite(t))
	leads := `leads(first: 200) { edges { node { id transitions { edges { node { id } } } } } }`
	// One page of leads with their default page of transitions: 200 x (1 + 50) rows.
	api.Data(t, aliases(1, leads), nil, &struct{}{})
	e := api.Fail(t, "COST_LIMIT", aliases(100, leads), nil)
	if e.Extensions["cost"] != float64(100*200*51) || e.Extensions["limit"] != float64(20000) {
		t.Errorf("extensions %v", e.Extensions)
	}
	// Expensive root fields are weighted.
	period := `{period: {from: "2026-01-01T00:00:00Z", to: "2027-01-01T00:00:00Z"}}`
	api.Data(t, aliases(2, `funnel(input: `+period+`) { source }`), nil, &struct{}{})
	api.Fail(t, "COST_LIMIT", aliases(100, `funnel(input: `+period+`) { source }`), nil)
	api.Fail(t, "COST_LIMIT", aliases(40, `simulatePolicy(draft: {changed: []}) { leads }`), nil)
	// Fragments count as the fields they hold.
	api.Fail(t, "COST_LIMIT", `{ ...f } fragment f on Query { `+strings.Trim(aliases(100, leads), "{}")+` }`, nil)
}

// nodes(ids:) takes at most a page of ids, inline or as a variable.
func TestNodesTakesAtMostAPage(t *testing.T) {
	api := apitest.Start(t, testenv.SQLite(t))
	ids := make([]string, 201)
	for i := range ids {
		ids[i] = strconv.Itoa(i + 1)
	}
	e := api.Fail(t, "VALIDATION_FAILED", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids})
	if e.Extensions["field"] != "nodes.ids" {
		t.Errorf("extensions %v", e.Extensions)
	}
	r := api.Do(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids[:200]})
	for _, e := range r.Errors {
		if e.Code() == "VALIDATION_FAILED" && e.Extensions["field"] == "nodes.ids" {
			t.Errorf("200 ids refused: %v", e)
		}
	}
}
