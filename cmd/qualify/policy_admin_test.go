package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qualify/qualify/internal/policy"
	"github.com/qualify/qualify/internal/testenv"
)

// draftDir writes a copy of the shipped bundle with the MQL threshold lowered to 10: the knob
// alone, since the shipped tests read it from the data.
func draftDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../policies")); err != nil {
		t.Fatal(err)
	}
	replace(t, filepath.Join(dir, "data.json"), `"threshold": 15`, `"threshold": 10`)
	return dir
}

func replace(t *testing.T, path, old, new string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(raw), old) {
		t.Fatalf("%s: %v, or no %q", path, err, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(raw), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// `qualify policy simulate`, `publish` and `rollback` on a seeded SQLite database.
func TestPolicyAdminCommands(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	db := testenv.SQLiteFile(t)
	if out, err := run(t, "seed", "--sqlite", db, "--policies", "../../policies", "--leads", "200", "--seed", "5"); err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	draft := draftDir(t)
	out, err := run(t, "policy", "simulate", "--sqlite", db, "--policies", "../../policies", "--draft", draft,
		"--where-json", `{"hasAccount": true}`)
	if err != nil || !strings.Contains(out, "REACHED DRAFT") || !strings.Contains(out, "MQL→SQL") {
		t.Fatalf("simulate: %v\n%s", err, out)
	}
	t.Log(out)

	watched := t.TempDir()
	if err := os.CopyFS(watched, os.DirFS("../../policies")); err != nil {
		t.Fatal(err)
	}
	shipped, _ := policy.ReadDir(watched)
	if out, err := run(t, "policy", "publish", draft, "-m", "lower MQL threshold", "--policies", watched, "--sqlite", db, "--wait", "0"); err != nil {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	got, _ := policy.ReadDir(watched)
	data, _ := got.Get("data.json")
	manifest, _ := got.Get(".manifest")
	shippedManifest, _ := shipped.Get(".manifest")
	if !strings.Contains(string(data), `"threshold": 10`) || string(manifest) == string(shippedManifest) {
		t.Fatalf("published bundle: manifest %s", manifest)
	}

	out, err = run(t, "policy", "rollback", shipped.Hash(), "--policies", watched, "--sqlite", db, "--wait", "0")
	if err != nil {
		t.Fatalf("rollback: %v\n%s", err, out)
	}
	got, _ = policy.ReadDir(watched)
	data, _ = got.Get("data.json")
	if !strings.Contains(string(data), `"threshold": 15`) {
		t.Errorf("rollback did not restore data.json")
	}

	// A broken draft is refused with its location and nothing is written.
	replace(t, filepath.Join(draft, "qualify", "lead", "lead.rego"), "package qualify.lead", "package qualify.lead\n\nbroken rule if {")
	before, _ := policy.ReadDir(watched)
	out, err = run(t, "policy", "publish", draft, "-m", "broken", "--policies", watched, "--wait", "0")
	if err == nil || !strings.Contains(out, "lead.rego:") {
		t.Errorf("broken publish: %v\n%s", err, out)
	}
	if after, _ := policy.ReadDir(watched); after.Hash() != before.Hash() {
		t.Error("a refused publish changed the watched directory")
	}
}
