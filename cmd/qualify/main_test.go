package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qualify/qualify/ent/lead"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := root()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// eachDB runs fn as the subtests "sqlite" and "postgres" with the flags that point a command at
// a database of the subtest's own: a new SQLite file, or a migrated PostgreSQL database
// (testenv: skipped without a server, failed without one in CI).
func eachDB(t *testing.T, fn func(t *testing.T, db ...string)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Setenv("DATABASE_URL", "")
		fn(t, "--sqlite", testenv.SQLiteFile(t))
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, "--database-url", testenv.PostgresURL(t))
	})
}

// `qualify seed` fills an empty SQLite database with histories and scores them with the shipped
// policy, without moving any lead.
func TestSeedCommand(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	path := testenv.SQLiteFile(t)
	if out, err := run(t, "seed", "--sqlite", path, "--policies", "../../policies", "--leads", "300", "--seed", "3"); err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	db, err := store.Open(context.Background(), store.Config{SQLitePath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	total, err := db.Client.Lead.Query().Count(ctx)
	if err != nil || total != 300 {
		t.Fatalf("leads = %d, %v; want 300", total, err)
	}
	unscored, err := db.Client.Lead.Query().Where(lead.QualifiedAtIsNil()).Count(ctx)
	if err != nil || unscored != 0 {
		t.Errorf("%d leads without a qualification (%v)", unscored, err)
	}
	if out, err := run(t, "seed", "--sqlite", path, "--policies", "../../policies", "--leads", "10"); err == nil {
		t.Errorf("seeding a non-empty database succeeded:\n%s", out)
	}
	out, err := run(t, "policy", "status", "--sqlite", path)
	if err != nil || !strings.Contains(out, "ACTIVE") {
		t.Errorf("policy status: %v\n%s", err, out)
	}
}

func TestPolicyCheckCommand(t *testing.T) {
	if out, err := run(t, "policy", "check", "../../policies"); err != nil {
		t.Fatalf("shipped bundle: %v\n%s", err, out)
	}
	bad := t.TempDir()
	if err := os.CopyFS(bad, os.DirFS("../../policies")); err != nil {
		t.Fatal(err)
	}
	rule := filepath.Join(bad, "qualify", "transition", "transition.rego")
	src, err := os.ReadFile(rule)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rule, append(src, []byte("\nbroken if {\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "policy", "check", bad)
	if err == nil || !strings.Contains(out, "transition.rego:") {
		t.Errorf("broken bundle: err %v, output lacks file:row:col\n%s", err, out)
	}
}
