package app_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qualify/qualify/internal/apitest"
	"github.com/qualify/qualify/internal/app"
	"github.com/qualify/qualify/internal/testenv"
)

// copyBundle copies the shipped bundle into a temporary directory the test may edit.
func copyBundle(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS(apitest.PoliciesDir())); err != nil {
		t.Fatal(err)
	}
	return dst
}

type policyStatus struct {
	PolicyStatus struct {
		Active      *struct{ Revision, Hash, Status string }
		LastRefused *struct {
			Hash     string
			Problems []struct {
				File     string
				Row, Col int
				Message  string
			}
		}
	}
}

const statusQuery = `{ policyStatus { active { revision hash status } lastRefused { hash problems { file row col message } } } }`

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	// A liveness bound, not a speed check: under -race on a loaded 2-core machine the background
	// plan probe of a new revision alone can take over 15 s.
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Revenue ops edit the watched bundle; the running server activates good edits and refuses bad
// ones with their location while the last good revision keeps deciding.
func TestPolicyHotReload(t *testing.T) {
	dir := copyBundle(t)
	db := testenv.SQLite(t)
	api := apitest.Start(t, db, func(c *app.Config) { c.PoliciesDir, c.PolicyPoll = dir, 500*time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() { _ = api.App.FollowPolicies(ctx) }()

	var st policyStatus
	api.Data(t, statusQuery, nil, &st)
	if st.PolicyStatus.Active == nil || st.PolicyStatus.Active.Status != "ACTIVE" {
		t.Fatalf("no active revision at start: %+v", st)
	}
	first := st.PolicyStatus.Active.Hash

	// A data edit: rename a stage. The Stage table follows the bundle.
	data := filepath.Join(dir, "data.json")
	raw, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	var stages struct {
		Stages struct {
			Edges []struct{ Node struct{ Key, Name string } }
		}
	}
	api.Data(t, `{ stages(where: {key: "mql"}) { edges { node { key name } } } }`, nil, &stages)
	oldName := stages.Stages.Edges[0].Node.Name
	edited := strings.Replace(string(raw), `"`+oldName+`"`, `"Marketing qualified (edited)"`, 1)
	if edited == string(raw) {
		t.Fatalf("stage name %q not found in data.json", oldName)
	}
	writeFile(t, data, edited)
	var second string
	eventually(t, "the edited data.json to become active", func() bool {
		api.Data(t, statusQuery, nil, &st)
		second = st.PolicyStatus.Active.Hash
		return second != first
	})
	api.Data(t, `{ stages(where: {key: "mql"}) { edges { node { key name } } } }`, nil, &stages)
	if got := stages.Stages.Edges[0].Node.Name; got != "Marketing qualified (edited)" {
		t.Errorf("stage name after edit = %q", got)
	}

	// A syntax error in a rule file is refused with its location; the last good revision serves.
	var rule string
	_ = filepath.WalkDir(filepath.Join(dir, "qualify", "lead"), func(p string, d os.DirEntry, _ error) error {
		if rule == "" && strings.HasSuffix(p, ".rego") && !strings.HasSuffix(p, "_test.rego") {
			rule = p
		}
		return nil
	})
	src, _ := os.ReadFile(rule)
	writeFile(t, rule, string(src)+"\nbroken rule if {\n")
	eventually(t, "the broken edit to be refused", func() bool {
		api.Data(t, statusQuery, nil, &st)
		return st.PolicyStatus.LastRefused != nil && len(st.PolicyStatus.LastRefused.Problems) > 0
	})
	p := st.PolicyStatus.LastRefused.Problems[0]
	if !strings.HasSuffix(p.File, ".rego") || p.Row == 0 || p.Message == "" {
		t.Errorf("refusal without a location: %+v", p)
	}
	if st.PolicyStatus.Active.Hash != second {
		t.Errorf("active revision changed to %s after a broken edit", st.PolicyStatus.Active.Hash)
	}
	var created struct {
		CreateLead struct {
			Qualification struct{ PolicyRevision string }
		}
	}
	api.Data(t, `mutation { createLead(input: {lastName: "Still", source: REFERRAL}) { qualification { policyRevision } } }`, nil, &created)
	if created.CreateLead.Qualification.PolicyRevision == "" {
		t.Error("decisions stopped while a broken revision was refused")
	}
}

// writeFile saves like an editor that writes a temporary file and renames it over the original,
// then saves the bundle's .manifest again, unchanged, which releases the edit.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	defer func() {
		manifest := filepath.Join(filepath.Dir(path), ".manifest")
		for filepath.Dir(manifest) != "/" {
			if b, err := os.ReadFile(manifest); err == nil {
				if err := os.WriteFile(manifest, b, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			manifest = filepath.Join(filepath.Dir(filepath.Dir(manifest)), ".manifest")
		}
		t.Fatalf("no .manifest above %s", path)
	}()
	tmp := path + ".tmp~"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// policyStatus says which evaluator serves each decision: the plan evaluator for the shipped
// bundle, OPA's interpreter (with the reason) for a decision the plan evaluator cannot run.
func TestPolicyEvaluators(t *testing.T) {
	dir := copyBundle(t)
	db := testenv.SQLite(t)
	api := apitest.Start(t, db, func(c *app.Config) { c.PoliciesDir, c.PolicyPoll = dir, 500*time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() { _ = api.App.FollowPolicies(ctx) }()

	type evaluators struct {
		PolicyStatus struct {
			Active     struct{ Hash string }
			Evaluators []struct {
				Query, Evaluator string
				Reason           *string
			}
		}
	}
	const q = `{ policyStatus { active { hash } evaluators { query evaluator reason } } }`
	var st evaluators
	// topdown serves until the plans have answered the probe as topdown does (in the background)
	eventually(t, "the shipped plans to pass the probe", func() bool {
		api.Data(t, q, nil, &st)
		for _, ev := range st.PolicyStatus.Evaluators {
			if ev.Evaluator != "PLAN" {
				return false
			}
		}
		return true
	})
	if len(st.PolicyStatus.Evaluators) != 5 {
		t.Fatalf("want the five decisions, got %+v", st.PolicyStatus.Evaluators)
	}
	for _, ev := range st.PolicyStatus.Evaluators {
		if ev.Evaluator != "PLAN" || ev.Reason != nil {
			t.Errorf("shipped %s on %s (%v), want PLAN", ev.Query, ev.Evaluator, ev.Reason)
		}
	}

	// `with` inside the routing decision: the plan evaluator does not run it.
	path := filepath.Join(dir, "qualify", "routing", "routing.rego")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(src), `to := object.get(input, "to", "")`,
		`to := t if {
	t := object.get(input, "to", "") with input.unused as 1
}`, 1)
	if edited == string(src) {
		t.Fatal("routing.rego has no `to` rule to edit")
	}
	first := st.PolicyStatus.Active.Hash
	writeFile(t, path, edited)
	eventually(t, "the edited routing to become active, its plans probed", func() bool {
		api.Data(t, q, nil, &st)
		if st.PolicyStatus.Active.Hash == first {
			return false
		}
		for _, ev := range st.PolicyStatus.Evaluators {
			if ev.Reason != nil && strings.Contains(*ev.Reason, "being checked") {
				return false
			}
		}
		return true
	})
	for _, ev := range st.PolicyStatus.Evaluators {
		routing := ev.Query == "data.qualify.routing.decision"
		switch {
		case routing && (ev.Evaluator != "TOPDOWN" || ev.Reason == nil || !strings.Contains(*ev.Reason, "unsupported statement")):
			t.Errorf("edited routing on %s (%v), want TOPDOWN with the reason", ev.Evaluator, ev.Reason)
		case !routing && ev.Evaluator != "PLAN":
			t.Errorf("%s on %s after a routing edit", ev.Query, ev.Evaluator)
		}
	}
	// Decisions keep flowing on the new revision.
	var created struct {
		CreateLead struct {
			Qualification struct{ PolicyRevision string }
		}
	}
	api.Data(t, `mutation { createLead(input: {lastName: "Routed", source: REFERRAL}) { qualification { policyRevision } } }`, nil, &created)
	if created.CreateLead.Qualification.PolicyRevision == "" {
		t.Error("no decision after the routing edit")
	}
}
