package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/qualify/qualify/ent/auditevent"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// The CLI refuses what it cannot do faithfully: a database that does not exist, a filter it
// would ignore; revisions are named as `status` prints them; requalify and funnel rebuild run
// from the command line and are audited.
func TestPolicyCLIDefects(t *testing.T) {
	testenv.Want(t, "sqlite")
	t.Setenv("DATABASE_URL", "")
	tmp := t.TempDir()

	// A mistyped database is an error, and nothing is created.
	typo := filepath.Join(tmp, "qualfy.db")
	for _, args := range [][]string{
		{"policy", "status", "--sqlite", typo},
		{"policy", "requalify", "--sqlite", typo},
		{"funnel", "rebuild", "--sqlite", typo},
		{"policy", "rollback", "abcdef123456", "--sqlite", typo, "--policies", "../../policies", "--wait", "0"},
	} {
		if out, err := run(t, args...); err == nil || !strings.Contains(err.Error(), "no Qualify database") {
			t.Errorf("%v: err %v\n%s", args, err, out)
		}
		if _, err := os.Stat(typo); err == nil {
			t.Fatalf("%v created %s", args, typo)
		}
	}

	db := filepath.Join(tmp, "q.db")
	if out, err := run(t, "seed", "--sqlite", db, "--policies", "../../policies", "--leads", "60", "--seed", "9"); err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}

	// A filter that names no field, or a value no enum has, would simulate the wrong leads.
	draft := draftDir(t)
	for _, where := range []string{`{"sauce": "WEB_FORM"}`, `{"source": "CARRIER_PIGEON"}`, `{"or": [{"sourceIn": ["WEB_FORM", "SMOKE"]}]}`} {
		out, err := run(t, "policy", "simulate", "--sqlite", db, "--policies", "../../policies", "--draft", draft, "--where-json", where)
		if err == nil || !strings.Contains(err.Error(), "--where-json") {
			t.Errorf("simulate --where-json %s: err %v\n%s", where, err, out)
		}
		if _, err := run(t, "policy", "requalify", "--sqlite", db, "--where-json", where); err == nil {
			t.Errorf("requalify --where-json %s succeeded", where)
		}
	}
	if out, err := run(t, "policy", "simulate", "--sqlite", db, "--policies", "../../policies", "--draft", draft,
		"--where-json", `{"sourceIn": ["WEB_FORM", "REFERRAL"]}`); err != nil {
		t.Errorf("simulate with a good filter: %v\n%s", err, out)
	}

	// The 12-character hash `status` prints names the revision.
	out, err := run(t, "policy", "status", "--sqlite", db)
	if err != nil {
		t.Fatalf("status: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`ACTIVE\s+\S+\s+([0-9a-f]{12})\s`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no active 12-character hash in status:\n%s", out)
	}
	watched := t.TempDir()
	if err := os.CopyFS(watched, os.DirFS("../../policies")); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, "policy", "rollback", m[1], "--sqlite", db, "--policies", watched, "--wait", "0"); err != nil {
		t.Errorf("rollback %s: %v\n%s", m[1], err, out)
	}
	if out, err := run(t, "policy", "diff", m[1], m[1], "--sqlite", db); err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("diff of a revision with itself: %v\n%s", err, out)
	}

	out, err = run(t, "policy", "requalify", "--sqlite", db, "--where-json", `{"sourceIn": ["WEB_FORM", "REFERRAL"]}`)
	if err != nil || !regexp.MustCompile(`job \d+ SUCCEEDED on .* \d+ leads`).MatchString(out) {
		t.Errorf("requalify: %v\n%s", err, out)
	}
	if out, err := run(t, "funnel", "rebuild", "--sqlite", db); err != nil {
		t.Errorf("funnel rebuild: %v\n%s", err, out)
	}

	d, err := store.Open(context.Background(), store.Config{SQLitePath: db})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, action := range []auditevent.Action{auditevent.ActionREQUALIFY_START, auditevent.ActionPOLICY_SIMULATE} {
		ev, err := d.Client.AuditEvent.Query().Where(auditevent.ActionEQ(action)).Only(context.Background())
		if err != nil || ev.Via != auditevent.ViaCLI || !strings.HasPrefix(ev.Actor, "cli:") {
			t.Errorf("%s audit: %+v %v", action, ev, err)
		}
	}
}
