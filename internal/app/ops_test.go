package app_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// The operational endpoints of a fully wired instance: health, readiness against the real
// database, GraphiQL, and metrics labelled by operation.
func TestOperationalEndpoints(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		api := apitest.Start(t, db)
		api.Data(t, `query StageList { stages { totalCount } }`, nil, &struct{}{})
		get := func(path string) (int, string) {
			res, err := api.Server.Client().Get(api.Server.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		// A document past the parser's token limit is refused as a parse error, not parsed.
		huge := "{ " + strings.Repeat("stages { totalCount } ", 6000) + "}"
		if r := api.Do(t, huge, nil); len(r.Errors) == 0 || r.Status >= 500 || !strings.Contains(r.Errors[0].Message, "token limit") {
			t.Errorf("huge document: status %d, errors %+v", r.Status, r.Errors)
		}
		for _, c := range []struct {
			path, want string
		}{
			{"/healthz", "ok"},
			{"/livez", "ok"},
			{"/readyz", "ready"},
			{"/metrics", `go_sql_open_connections{db_name="qualify"}`},
			{"/metrics", `qualify_websockets_open 0`},
			{"/metrics", `qualify_stagefeed_subscribers 0`},
			{"/", "graphiql"},
			{"/metrics", `qualify_graphql_requests_total{code="",kind="query",operation="StageList",status="ok"} 1`},
			{"/metrics", `qualify_policy_plan_fallbacks_total{query="data.qualify.lead.decision",reason="error"} 0`},
			{"/metrics", `qualify_policy_activations_total{source="dir"} 1`},
			{"/metrics", `qualify_policy_active_info{hash="`},
			{"/metrics", `go_goroutines`},
		} {
			code, body := get(c.path)
			if code != http.StatusOK || !strings.Contains(strings.ToLower(body), strings.ToLower(c.want)) {
				t.Errorf("GET %s = %d, body lacks %q:\n%.400s", c.path, code, c.want, body)
			}
		}
	})
}
