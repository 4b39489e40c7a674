package policyadmin_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// testPolicy measures coverage as `opa test --coverage`: per policy module the rows the tests
// evaluated and those they did not; a rule no test reaches is not covered; test modules are left out.
func TestPolicyTestCoverage(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		// A functional test, not a speed check: the coverage tracer under -race on a loaded
		// machine outlasts the default request timeout.
		api := apitest.Start(t, db, func(c *app.Config) { c.Server.RequestTimeout = 2 * time.Minute })
		const untested = "package qualify.untested\n\nanswer if {\n\tinput.question == 42\n}\n"
		var out struct {
			TestPolicy struct {
				OK       bool
				Passed   int
				Coverage *struct {
					Percent float64
					Files   []struct {
						Path                string
						Percent             float64
						Covered, NotCovered []int
					}
				}
			}
		}
		api.Data(t, `query($d: PolicyDraftInput!) { testPolicy(draft: $d) { ok passed coverage { percent files { path percent covered notCovered } } } }`,
			map[string]any{"d": map[string]any{"changed": []map[string]any{{"path": "qualify/untested/untested.rego", "content": untested}}}}, &out)
		run := out.TestPolicy
		if !run.OK || run.Passed == 0 || run.Coverage == nil {
			t.Fatalf("testPolicy: %+v", run)
		}
		if p := run.Coverage.Percent; p <= 0 || p >= 100 {
			t.Errorf("coverage %v%%, want between 0 and 100 with an untested module", p)
		}
		seen := map[string]bool{}
		for _, f := range run.Coverage.Files {
			seen[f.Path] = true
			if strings.HasSuffix(f.Path, "_test.rego") {
				t.Errorf("a test module is measured: %s", f.Path)
			}
			if slices.ContainsFunc(f.Covered, func(r int) bool { return slices.Contains(f.NotCovered, r) }) {
				t.Errorf("%s: a row both covered and not: %v / %v", f.Path, f.Covered, f.NotCovered)
			}
			switch f.Path {
			case "qualify/untested/untested.rego":
				if len(f.Covered) != 0 || !slices.Contains(f.NotCovered, 4) || f.Percent != 0 {
					t.Errorf("the untested rule: %+v, want row 4 not covered and 0%%", f)
				}
			case "qualify/lead/lead.rego":
				if len(f.Covered) == 0 || f.Percent <= 50 {
					t.Errorf("the tested lead module: %+v", f)
				}
			}
		}
		if !seen["qualify/untested/untested.rego"] || !seen["qualify/lead/lead.rego"] {
			t.Errorf("files measured: %v", seen)
		}
	})
}
