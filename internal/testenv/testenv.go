// Package testenv gives each test a clean, migrated database with the funnel stages of the
// shipped bundle: an SQLite file, or a fresh PostgreSQL database on a testcontainers server or
// on the server of DATABASE_URL. Each is a copy of a template migrated once (template.go).
package testenv

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qualify/qualify/internal/store"
)

// setupTimeout bounds creating, migrating and seeding one test database.
const setupTimeout = 2 * time.Minute

// DatabasesEnv names the databases a test run uses: "sqlite", "postgres", or both (comma
// separated; unset or empty: both). make test runs the PostgreSQL tests under the race detector
// and the SQLite ones without it: instrumenting modernc's C-translated SQLite makes those tests
// many times slower, and the detector, seeing none of the synchronization inside it, reported
// races that were not there. The Go code above the driver is the same on both.
const DatabasesEnv = "QUALIFY_TEST_DATABASES"

// Want skips the test when this run leaves out dialect ("sqlite" or "postgres"): another run
// of make test covers it.
func Want(t testing.TB, dialect string) {
	t.Helper()
	v := strings.TrimSpace(os.Getenv(DatabasesEnv))
	if v == "" {
		return
	}
	if !slices.Contains(strings.Split(v, ","), dialect) {
		t.Skipf("testenv: %s=%s: the %s half runs in the other pass of make test", DatabasesEnv, v, dialect)
	}
}

// SQLiteFile returns the path of a new, empty SQLite database file in the test's temporary
// directory, for tests of commands and servers that open it themselves.
func SQLiteFile(t testing.TB) string {
	t.Helper()
	Want(t, "sqlite")
	return filepath.Join(t.TempDir(), "qualify.db")
}

// SQLite returns a migrated SQLite database in a file of the test's temporary directory,
// closed when the test ends.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	return sqliteWith(t, nil)
}

// SQLiteWith is SQLite with the store opened by a configuration adjust changed.
func SQLiteWith(t testing.TB, adjust func(*store.Config)) *store.DB {
	t.Helper()
	return sqliteWith(t, adjust)
}

func sqliteWith(t testing.TB, adjust func(*store.Config)) *store.DB {
	t.Helper()
	path := SQLiteFile(t)
	if err := cloneSQLite(path); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	cfg := store.Config{SQLitePath: path}
	if adjust != nil {
		adjust(&cfg)
	}
	return open(t, cfg)
}

// Postgres returns a migrated PostgreSQL database of the test's own, dropped when the test
// ends. Without a server it skips the test, or fails it when CI=true.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	// Tests share two cores under -race with other packages' tests: a pool wait there says
	// nothing about the database, so it gets longer than the product's fail-fast default (the
	// outage tests set their own).
	return postgresWith(t, nil)
}

func postgresWith(t testing.TB, adjust func(*store.Config)) *store.DB {
	t.Helper()
	cfg := store.Config{URL: migratedPostgres(t), AcquireTimeout: testAcquireTimeout}
	if adjust != nil {
		adjust(&cfg)
	}
	return open(t, cfg)
}

const testAcquireTimeout = 30 * time.Second

// PostgresURL returns the URL of a migrated PostgreSQL database of the test's own, dropped when
// the test ends, for tests that open it more than once (two server instances on one database).
func PostgresURL(t testing.TB) string {
	t.Helper()
	return migratedPostgres(t)
}

// EmptyPostgresURL returns the URL of an empty PostgreSQL database of the test's own, not
// migrated, dropped when the test ends: for tests of the migrations themselves.
func EmptyPostgresURL(t testing.TB) string {
	t.Helper()
	return createDatabase(t, "")
}

// EachDB runs fn as the subtests "sqlite" and "postgres", each with a database of its own.
func EachDB(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// EachDBWith is EachDB with each store opened by a configuration adjust changed (a tracer
// provider, say).
func EachDBWith(t *testing.T, adjust func(*store.Config), fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, sqliteWith(t, adjust)) })
	t.Run("postgres", func(t *testing.T) { fn(t, postgresWith(t, adjust)) })
}

// migratedPostgres creates the test's database as a copy of the migrated template.
func migratedPostgres(t testing.TB) string {
	t.Helper()
	requireServer(t) // skips or fails the test as the server's absence demands
	tmpl, err := postgresTemplate()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return createDatabase(t, tmpl)
}

// open opens the copy of the template at cfg; it is closed at cleanup.
func open(t testing.TB, cfg store.Config) *store.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	db, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("testenv: close %s: %v", db.Dialect, err)
		}
	})
	return db
}
