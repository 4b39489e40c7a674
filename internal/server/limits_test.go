package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"

	"github.com/qualify/qualify/internal/server/internal/testschema"
)

func TestOperationDepth(t *testing.T) {
	tests := []struct {
		query string
		depth int
	}{
		{`{ hello }`, 1},
		{`{ node { id } }`, 2},
		{`{ node { child { child { id } } } }`, 4},
		{`{ node { id child { id } children { child { child { id } } } } }`, 5},
		{`{ node { ...F } } fragment F on Node { child { id } }`, 3},
		{`{ node { ...F ... on Node { id } } } fragment F on Node { child { ...G } } fragment G on Node { child { id } }`, 4},
		{`{ a: node { ...F } b: node { child { ...F } } } fragment F on Node { child { id } }`, 4},
		{`{ hello __schema { types { fields { type { ofType { ofType { name } } } } } } }`, 1},
	}
	schema := testschema.New().Schema()
	for _, tt := range tests {
		doc, errs := gqlparser.LoadQuery(schema, tt.query)
		if errs != nil {
			t.Fatalf("%s: %v", tt.query, errs)
		}
		if got := operationDepth(doc.Operations[0]); got != tt.depth {
			t.Errorf("depth of %s = %d, want %d", tt.query, got, tt.depth)
		}
	}
}

func TestLimits(t *testing.T) {
	wide := "{ hello" + aliases(11) + " }" // 12 fields
	tests := []struct {
		name   string
		query  string
		code   string // "" when the query must run
		figure string // "depth" or "complexity"
		value  float64
		limit  float64
	}{
		{name: "deep", query: `{ node { child { child { child { id } } } } }`,
			code: "DEPTH_LIMIT", figure: "depth", value: 5, limit: 4},
		{name: "deep through a fragment", query: `{ node { ...F } } fragment F on Node { child { child { child { id } } } }`,
			code: "DEPTH_LIMIT", figure: "depth", value: 5, limit: 4},
		{name: "at the depth limit", query: `{ node { child { child { id } } } }`},
		{name: "wide", query: wide, code: "COMPLEXITY_LIMIT", figure: "complexity", value: 12, limit: 10},
		{name: "introspection is not counted for depth", query: `{ __schema { types { fields { type { ofType { ofType { name } } } } } } }`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, Config{MaxDepth: 4, ComplexityLimit: 10})
			res, body := post(t, s.Handler(), gqlRequest{Query: tt.query})
			if tt.code == "" {
				if res.StatusCode != http.StatusOK || len(body.Errors) > 0 {
					t.Fatalf("status %d, errors %+v", res.StatusCode, body.Errors)
				}
				return
			}
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("status = %d, want 422", res.StatusCode)
			}
			e := onlyError(t, body)
			if e.Extensions["code"] != tt.code {
				t.Fatalf("code = %v, want %s (%+v)", e.Extensions["code"], tt.code, e)
			}
			if e.Extensions[tt.figure] != tt.value || e.Extensions["limit"] != tt.limit {
				t.Errorf("extensions = %v, want %s %v and limit %v", e.Extensions, tt.figure, tt.value, tt.limit)
			}
		})
	}
}

// aliases returns n aliased hello fields.
func aliases(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(" h")
		b.WriteByte(byte('a' + i))
		b.WriteString(": hello")
	}
	return b.String()
}

// An operation's complexity is remembered only while no field of it has a complexity function:
// one that reads an argument makes the figure depend on the variables, so each request counts.
func TestComplexityFollowsTheVariablesOfComplexityFunctions(t *testing.T) {
	var c testschema.ComplexityRoot
	c.Query.Slow = func(child, ms int) int { return ms }
	s, _ := newTestServer(t, Config{ComplexityLimit: 10}, func(d *Deps) {
		d.Schema = testschema.NewExecutableSchema(testschema.Config{Resolvers: &testschema.Resolver{}, Complexity: c})
	})
	slow := `query($ms: Int!) { slow(ms: $ms) }`
	for _, tt := range []struct {
		ms      int
		refused bool
	}{{1, false}, {50, true}, {2, false}, {50, true}} {
		res, body := post(t, s.Handler(), gqlRequest{Query: slow, Variables: map[string]any{"ms": tt.ms}})
		refused := res.StatusCode == http.StatusUnprocessableEntity && len(body.Errors) == 1 &&
			body.Errors[0].Extensions["code"] == "COMPLEXITY_LIMIT" && body.Errors[0].Extensions["complexity"] == float64(tt.ms)
		if refused != tt.refused {
			t.Errorf("slow(ms: %d): status %d, errors %+v; want refused %v", tt.ms, res.StatusCode, body.Errors, tt.refused)
		}
	}
	// Without complexity functions the figure is the document's: the same on every request.
	plain, _ := newTestServer(t, Config{ComplexityLimit: 10})
	wide := "{ hello" + aliases(11) + " }"
	for range 2 {
		res, body := post(t, plain.Handler(), gqlRequest{Query: wide})
		if res.StatusCode != http.StatusUnprocessableEntity || len(body.Errors) != 1 || body.Errors[0].Extensions["complexity"] != 12.0 {
			t.Errorf("wide: status %d, errors %+v; want refused with complexity 12", res.StatusCode, body.Errors)
		}
	}
}
