package policyadmin_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// slowPartners makes the lead decision slow for partner leads only (25M iterations before an
// undefined check), a path no shipped test or probe takes, so the bundle verifies and goes live.
const slowPartners = `
partner_check if {
	lead_in.source == "partner"
	some i in numbers.range(1, 5000)
	some j in numbers.range(1, 5000)
	i * j < 0
}
`

// A request that dies in a decision says so: POLICY_TIMEOUT naming the decision and the
// revision, not the request's TIMEOUT; other leads are served.
func TestPolicyTimeoutNamesTheDecision(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		dir := t.TempDir()
		if err := os.CopyFS(dir, os.DirFS(apitest.PoliciesDir())); err != nil {
			t.Fatal(err)
		}
		lead := filepath.Join(dir, "qualify", "lead", "lead.rego")
		src := edit(t, dir, "qualify/lead/lead.rego", "\tf := fit\n", "\tnot partner_check\n\tf := fit\n") + slowPartners
		if err := os.WriteFile(lead, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		api := apitest.Start(t, db, func(c *app.Config) {
			c.PoliciesDir, c.PolicyPoll, c.PolicyEvalTimeout = dir, time.Hour, policy.DefaultEvalTimeout
		})
		hash := api.App.Engine.Active().Hash()

		var ok struct{ CreateLead struct{ ID string } }
		api.Data(t, `mutation { createLead(input: {lastName: "Web", source: WEB_FORM}) { id } }`, nil, &ok)
		e := api.Fail(t, "POLICY_TIMEOUT", `mutation { createLead(input: {lastName: "Partner", source: PARTNER}) { id } }`, nil)
		if e.Extensions["decision"] != "data.qualify.lead.decision" || e.Extensions["revisionHash"] != hash {
			t.Errorf("POLICY_TIMEOUT extensions: %v (active %s)", e.Extensions, hash)
		}
	})
}

// The runtime safety net: a published revision whose partner path times out crosses the
// configured error-rate bound after two decisions; policyStatus and /metrics show its errors per
// revision, and with rollback on it is rolled back to the last good revision, which serves
// partner leads again.
func TestBreachRollsBack(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *store.DB) {
		dir := t.TempDir()
		if err := os.CopyFS(dir, os.DirFS(apitest.PoliciesDir())); err != nil {
			t.Fatal(err)
		}
		api := apitest.Start(t, db, func(c *app.Config) {
			c.PoliciesDir, c.PolicyPoll, c.PolicyEvalTimeout = dir, 500*time.Millisecond, policy.DefaultEvalTimeout
			c.DecisionBounds.MaxErrorRate, c.DecisionBounds.MinDecisions, c.RollbackOnBreach = 0.25, 2, true
		})
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		go func() { _ = api.App.FollowPolicies(ctx) }()
		good := api.App.Engine.Active().Hash()
		slow := edit(t, dir, "qualify/lead/lead.rego", "\tf := fit\n", "\tnot partner_check\n\tf := fit\n") + slowPartners
		var pub struct{ PublishPolicy published }
		api.Data(t, `mutation($d: PolicyDraftInput!) { publishPolicy(input: {draft: $d, message: "slow partners"}) { `+revisionFields+` } }`,
			map[string]any{"d": map[string]any{"changed": []map[string]any{{"path": "qualify/lead/lead.rego", "content": slow}}}}, &pub)
		bad := pub.PublishPolicy.Revision.Hash

		for range 2 {
			api.Fail(t, "POLICY_TIMEOUT", `mutation { createLead(input: {lastName: "Partner", source: PARTNER}) { id } }`, nil)
		}
		var st struct {
			PolicyStatus struct {
				Decisions []struct {
					Decision, RevisionHash, Breach string
					Count, Errors, Timeouts        int
				}
			}
		}
		api.Data(t, `{ policyStatus { decisions { decision revisionHash count errors timeouts breach } } }`, nil, &st)
		found := false
		for _, d := range st.PolicyStatus.Decisions {
			if d.Decision == "data.qualify.lead.decision" && d.RevisionHash == bad {
				found = d.Errors == 2 && d.Timeouts == 2 && d.Breach != ""
			}
		}
		if !found {
			t.Errorf("policyStatus.decisions: %+v", st.PolicyStatus.Decisions)
		}
		resp, err := api.Server.Client().Get(api.Server.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := `qualify_policy_decision_errors_total{decision="data.qualify.lead.decision",revision="` + bad + `"} 2`; !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}

		deadline := time.Now().Add(30 * time.Second)
		for api.App.Engine.Active().Hash() == bad {
			if time.Now().After(deadline) {
				t.Fatal("the breaching revision is still active after 30 s")
			}
			time.Sleep(50 * time.Millisecond)
		}
		restored, _ := api.App.Engine.Active().Files().Get("qualify/lead/lead.rego")
		if original, _ := os.ReadFile(filepath.Join(apitest.PoliciesDir(), "qualify", "lead", "lead.rego")); string(restored) != string(original) {
			t.Errorf("the rollback did not restore the last good lead.rego (good revision %s)", good)
		}
		var ok struct{ CreateLead struct{ ID string } }
		api.Data(t, `mutation { createLead(input: {lastName: "Partner", source: PARTNER}) { id } }`, nil, &ok)
	})
}
