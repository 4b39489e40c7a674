package inputlimit_test

import (
	"strings"
	"testing"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// Text beyond its limit, NUL and unbounded lists are VALIDATION_FAILED with the field path, on
// both databases, whether inline or in variables; nothing is stored.
func TestInputLimits(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		long := strings.Repeat("x", 300<<10)
		create := `mutation($l: String!, $k: String, $e: String) { createLead(idempotencyKey: $k, input: {lastName: $l, email: $e, source: WEB_FORM}) { id } }`
		ids := make([]string, 1001)
		for i := range ids {
			ids[i] = "1"
		}
		for _, c := range []struct {
			name, query, field string
			vars               map[string]any
		}{
			{"long last name", create, "createLead.input.lastName", map[string]any{"l": long}},
			{"NUL in a name", create, "createLead.input.lastName", map[string]any{"l": "Ada\x00Lovelace"}},
			{"NUL in an email", create, "createLead.input.email", map[string]any{"l": "Ada", "e": "ada\x00@x.example"}},
			{"long idempotency key", create, "createLead.idempotencyKey", map[string]any{"l": "Ada", "k": strings.Repeat("k", 100<<10)}},
			{"long filter pattern", `query($p: String!) { leads(where: {lastNameContains: $p}) { totalCount } }`,
				"leads.where.lastNameContains", map[string]any{"p": long}},
			{"NUL in a nested filter", `query($p: String!) { accounts(where: {hasLeadsWith: {lastNameHasPrefix: $p}}) { totalCount } }`,
				"accounts.where.hasLeadsWith.lastNameHasPrefix", map[string]any{"p": "a\x00"}},
			{"inline NUL", `{ leads(where: {lastName: "a\u0000b"}) { totalCount } }`, "leads.where.lastName", nil},
			{"long list", `query($ids: [ID!]) { leads(where: {idIn: $ids}) { totalCount } }`, "leads.where.idIn", map[string]any{"ids": ids}},
			{"large properties", `mutation($p: Map) { createActivity(input: {kind: WEB_VISIT, properties: $p}) { id } }`,
				"createActivity.input.properties", map[string]any{"p": map[string]any{"page": strings.Repeat("p", 20<<10)}}},
			{"NUL in properties", `mutation($p: Map) { createActivity(input: {kind: WEB_VISIT, properties: $p}) { id } }`,
				"createActivity.input.properties.form", map[string]any{"p": map[string]any{"form": "a\x00"}}},
		} {
			t.Run(c.name, func(t *testing.T) {
				e := api.Fail(t, "VALIDATION_FAILED", c.query, c.vars)
				if e.Extensions["field"] != c.field {
					t.Errorf("field %v, want %s (%s)", e.Extensions["field"], c.field, e.Message)
				}
			})
		}
		var n struct{ Leads struct{ TotalCount int } }
		api.Data(t, `{ leads { totalCount } }`, nil, &n)
		if n.Leads.TotalCount != 0 {
			t.Errorf("%d leads stored from refused input", n.Leads.TotalCount)
		}
		// Text within its limits passes, prose may be longer than a name.
		api.Data(t, create, map[string]any{"l": strings.Repeat("n", 256)}, &struct{}{})
	})
}
