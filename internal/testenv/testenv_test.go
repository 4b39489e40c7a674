package testenv

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/qualify/qualify/ent/stage"
	"github.com/qualify/qualify/internal/store"
)

func TestEachDB(t *testing.T) {
	var ran []string
	EachDB(t, func(t *testing.T, db *store.DB) {
		ran = append(ran, db.Dialect)
		ctx := context.Background()
		if err := db.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		// Migrated and synced with the bundle's stages.
		want := Stages(t)
		got, err := db.Client.Stage.Query().Order(stage.ByPosition()).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("stages = %d, want %d", len(got), len(want))
		}
		for i, s := range got {
			if s.Key != want[i].Key || s.Position != want[i].Position || !strings.EqualFold(string(s.Kind), want[i].Kind) {
				t.Errorf("stage %d = %s/%d/%s, want %+v", i, s.Key, s.Position, s.Kind, want[i])
			}
		}
	})
	if os.Getenv(DatabasesEnv) == "" && (len(ran) == 0 || ran[0] != "sqlite3") {
		t.Errorf("subtests ran on %v, want sqlite3 first", ran)
	}
}

// QUALIFY_TEST_DATABASES runs the halves of EachDB it names and skips the other, and so do
// the helpers that give a test one database.
func TestDatabasesSelectsTheHalves(t *testing.T) {
	for _, c := range []struct{ env, want string }{{"sqlite", "sqlite3"}, {"postgres", "postgres"}} {
		t.Run(c.env, func(t *testing.T) {
			t.Setenv(DatabasesEnv, c.env)
			var ran []string
			EachDB(t, func(t *testing.T, db *store.DB) { ran = append(ran, db.Dialect) })
			if c.env == "postgres" && len(ran) == 0 && !inCI() {
				t.Skip("no PostgreSQL server")
			}
			if len(ran) != 1 || ran[0] != c.want {
				t.Errorf("%s=%s ran %v, want [%s]", DatabasesEnv, c.env, ran, c.want)
			}
		})
	}
}

func TestStagesFromBundle(t *testing.T) {
	stages := Stages(t)
	keys := make([]string, len(stages))
	for i, s := range stages {
		keys[i] = s.Key
	}
	if got := strings.Join(keys, ","); !strings.HasPrefix(got, "lead,mql,sal,sql,opportunity,customer") {
		t.Errorf("stages = %s", got)
	}
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root + "/policies/data.json"); err != nil {
		t.Logf("policies/data.json is missing: the built-in stage list is used")
	}
	// Stages returns a copy: a test that edits it must not change another's.
	stages[0].Key = "changed"
	if Stages(t)[0].Key != "lead" {
		t.Error("Stages shares its slice between callers")
	}
}

// TestPostgresDatabaseIsDropped checks that a test's database exists while it runs and is
// gone when it ends.
func TestPostgresDatabaseIsDropped(t *testing.T) {
	var name string
	t.Run("owner", func(t *testing.T) {
		u, err := url.Parse(PostgresURL(t))
		if err != nil {
			t.Fatal(err)
		}
		name = strings.TrimPrefix(u.Path, "/")
		if !strings.HasPrefix(name, "qualify_t_") {
			t.Errorf("database %q, want a qualify_t_ prefix", name)
		}
		if !databaseExists(t, name) {
			t.Errorf("database %s does not exist during the test", name)
		}
	})
	if name == "" {
		t.Skip("no PostgreSQL")
	}
	if databaseExists(t, name) {
		t.Errorf("database %s still exists after the test", name)
	}
}

func databaseExists(t *testing.T, name string) bool {
	t.Helper()
	var n int
	err := requireServer(t).admin.QueryRow(`SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// TestPostgresURLSharedByTwoInstances opens two store.DBs on one database, as two replicas
// would be, and sees the writes of one through the other.
func TestPostgresURLSharedByTwoInstances(t *testing.T) {
	u := PostgresURL(t)
	ctx := context.Background()
	var dbs [2]*store.DB
	for i := range dbs {
		db, err := store.Open(ctx, store.Config{URL: u})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("instance %d: Migrate: %v", i, err)
		}
		dbs[i] = db
	}
	acc, err := dbs[0].Client.Account.Create().SetName("Acme").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := dbs[1].Client.Account.Get(ctx, acc.ID)
	if err != nil || got.Name != "Acme" {
		t.Fatalf("instance 2 reads %v, %v", got, err)
	}
}

func TestSQLiteIsolated(t *testing.T) {
	ctx := context.Background()
	a, b := SQLite(t), SQLite(t)
	if _, err := a.Client.Account.Create().SetName("only in a").Save(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Client.Account.Query().Count(ctx); err != nil || n != 0 {
		t.Errorf("second database sees %d accounts, %v", n, err)
	}
}

// helperEnv marks the run of this test binary by TestWithoutServer.
const helperEnv = "TESTENV_HELPER"

// TestHelperPostgres only runs inside TestWithoutServer.
func TestHelperPostgres(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("run by TestWithoutServer")
	}
	Postgres(t)
}

// TestWithoutServer runs Postgres(t) in a child test binary with no DATABASE_URL: it must
// skip quietly, and fail loudly when CI is set. (With a Docker engine there is always a server.)
func TestWithoutServer(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	if dockerAnswers(context.Background()) {
		t.Skip("a Docker engine answers: there is always a server")
	}
	cases := []struct {
		ci       string
		wantFail bool
		want     string
	}{
		{ci: "", want: "--- SKIP: TestHelperPostgres"},
		{ci: "false", want: "--- SKIP: TestHelperPostgres"},
		{ci: "true", wantFail: true, want: "PostgreSQL tests are never skipped in CI"},
	}
	for _, c := range cases {
		t.Run("CI="+c.ci, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperPostgres$", "-test.v", "-test.count=1")
			cmd.Env = append(withoutEnv("DATABASE_URL", "CI", helperEnv, DatabasesEnv), helperEnv+"=1", "CI="+c.ci)
			start := time.Now()
			out, err := cmd.CombinedOutput()
			if failed := err != nil; failed != c.wantFail {
				t.Errorf("failed = %v (%v), want %v; output:\n%s", failed, err, c.wantFail, out)
			}
			if !strings.Contains(string(out), c.want) {
				t.Errorf("output lacks %q:\n%s", c.want, out)
			}
			if strings.Contains(string(out), "🐳") || strings.Contains(string(out), "github.com/testcontainers") {
				t.Errorf("testcontainers noise in the output:\n%s", out)
			}
			if d := time.Since(start); d > 15*time.Second {
				t.Errorf("took %v to find no server", d)
			}
		})
	}
}

func withoutEnv(keys ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		drop := false
		for _, k := range keys {
			if strings.HasPrefix(kv, k+"=") {
				drop = true
			}
		}
		if !drop {
			env = append(env, kv)
		}
	}
	return env
}
