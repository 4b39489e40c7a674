package store_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"

	entmigrate "github.com/qualify/qualify/ent/migrate"
	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// emptyDB opens a fresh, empty (not migrated) database of the dialect, closed at cleanup.
func emptyDB(t *testing.T, dialect string) *store.DB {
	t.Helper()
	return openDB(t, emptyConfig(t, dialect))
}

func emptyConfig(t *testing.T, dialect string) store.Config {
	t.Helper()
	if dialect == "sqlite" {
		return store.Config{SQLitePath: testenv.SQLiteFile(t)}
	}
	return store.Config{URL: testenv.EmptyPostgresURL(t)}
}

func openDB(t *testing.T, cfg store.Config) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// eachDialect runs fn as subtests "sqlite" and "postgres".
func eachDialect(t *testing.T, fn func(t *testing.T, dialect string)) {
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) { fn(t, d) })
	}
}

type revision struct {
	Version        string
	Applied, Total int
	ExecutedAt     time.Time
}

func readRevisions(t *testing.T, db *store.DB) []revision {
	t.Helper()
	rows, err := db.SQL.Query(`SELECT version, applied, total, executed_at FROM ` + store.RevisionsTable + ` ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var revs []revision
	for rows.Next() {
		var r revision
		if err := rows.Scan(&r.Version, &r.Applied, &r.Total, &r.ExecutedAt); err != nil {
			t.Fatal(err)
		}
		revs = append(revs, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return revs
}

// drift returns the statements ent would run to bring the database to ent/schema; empty when
// the committed migrations build exactly the schema.
func drift(t *testing.T, db *store.DB) string {
	t.Helper()
	dir := &atlasmigrate.MemDir{}
	m, err := schema.NewMigrate(entsql.OpenDB(db.Dialect, db.SQL),
		schema.WithDir(dir),
		schema.WithMigrationMode(schema.ModeInspect),
		schema.WithErrNoPlan(true),
		schema.WithDropColumn(true),
		schema.WithDropIndex(true),
		schema.WithDiffHook(store.KeepHandWritten),
	)
	if err != nil {
		t.Fatal(err)
	}
	err = m.NamedDiff(context.Background(), "drift", entmigrate.Tables...)
	if errors.Is(err, atlasmigrate.ErrNoPlan) {
		return ""
	}
	if err != nil {
		t.Fatalf("diff: %v", err)
	}
	files, err := dir.Files()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, f := range files {
		b.Write(f.Bytes())
	}
	return b.String()
}

func TestMigrateNoDriftAndIdempotent(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		db := emptyDB(t, dialect)
		dir, err := store.MigrationDir(db.Dialect)
		if err != nil {
			t.Fatal(err)
		}
		files, err := dir.Files()
		if err != nil || len(files) == 0 {
			t.Fatalf("migration files: %d, %v", len(files), err)
		}
		if d := drift(t, db); !strings.Contains(d, "CREATE TABLE") {
			t.Fatalf("the drift check sees nothing missing in an empty database:\n%s", d)
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("first Migrate: %v", err)
		}
		first := readRevisions(t, db)
		if len(first) != len(files) {
			t.Fatalf("revisions = %d, want one per file (%d)", len(first), len(files))
		}
		for i, r := range first {
			if r.Version != files[i].Version() || r.Applied != r.Total || r.Total == 0 {
				t.Errorf("revision %+v of file %s not fully applied", r, files[i].Name())
			}
		}
		if d := drift(t, db); d != "" {
			t.Errorf("ent/schema and the committed migrations differ; run the generator. Missing:\n%s", d)
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("second Migrate: %v", err)
		}
		second := readRevisions(t, db)
		if len(second) != len(first) {
			t.Fatalf("second Migrate changed the revisions: %d -> %d", len(first), len(second))
		}
		for i := range first {
			if !first[i].ExecutedAt.Equal(second[i].ExecutedAt) {
				t.Errorf("second Migrate re-ran %s", first[i].Version)
			}
		}
		if d := drift(t, db); d != "" {
			t.Errorf("drift after the second Migrate:\n%s", d)
		}
	})
}

// TestMigrateConcurrently starts two server instances on one empty database at once: each
// file must be applied once and both must succeed.
func TestMigrateConcurrently(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		cfg := emptyConfig(t, dialect)
		dbs := []*store.DB{openDB(t, cfg), openDB(t, cfg), openDB(t, cfg)}
		var wg sync.WaitGroup
		errs := make([]error, len(dbs))
		for i, db := range dbs {
			wg.Go(func() { errs[i] = db.Migrate(context.Background()) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("instance %d: %v", i, err)
			}
		}
		dir, _ := store.MigrationDir(dbs[0].Dialect)
		files, _ := dir.Files()
		if revs := readRevisions(t, dbs[0]); len(revs) != len(files) {
			t.Errorf("revisions = %d, want %d", len(revs), len(files))
		}
		if d := drift(t, dbs[0]); d != "" {
			t.Errorf("drift:\n%s", d)
		}
	})
}

// TestMigrateFailedFileRollsBack applies a directory whose second file fails halfway: the
// first file stays applied, nothing of the second remains, and a fixed file applies later.
func TestMigrateFailedFileRollsBack(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		db := emptyDB(t, dialect)
		dir := &atlasmigrate.MemDir{}
		write := func(name, body string) {
			t.Helper()
			if err := dir.WriteFile(name, []byte(body)); err != nil {
				t.Fatal(err)
			}
			sum, err := dir.Checksum()
			if err != nil {
				t.Fatal(err)
			}
			if err := atlasmigrate.WriteSumFile(dir, sum); err != nil {
				t.Fatal(err)
			}
		}
		write("1_one.sql", "CREATE TABLE one (id integer PRIMARY KEY);\n")
		write("2_two.sql", "CREATE TABLE two (id integer PRIMARY KEY);\nINSERT INTO missing VALUES (1);\n")
		err := db.MigrateDir(ctx, dir)
		if err == nil {
			t.Fatal("Migrate with a broken file succeeded")
		}
		var stmtErr *atlasmigrate.StmtExecError
		if !errors.As(err, &stmtErr) || stmtErr.Version != "2" {
			t.Errorf("error = %v, want a statement error of version 2", err)
		}
		if revs := readRevisions(t, db); len(revs) != 1 || revs[0].Version != "1" {
			t.Errorf("revisions after the failure = %+v, want version 1 only", revs)
		}
		if _, err := db.SQL.Exec("SELECT * FROM two"); err == nil {
			t.Error("table two exists: the failed file was not rolled back")
		}
		write("2_two.sql", "CREATE TABLE two (id integer PRIMARY KEY);\n")
		if err := db.MigrateDir(ctx, dir); err != nil {
			t.Fatalf("Migrate after the fix: %v", err)
		}
		if revs := readRevisions(t, db); len(revs) != 2 {
			t.Errorf("revisions = %+v, want 2", revs)
		}
		if _, err := db.SQL.Exec("SELECT * FROM two"); err != nil {
			t.Errorf("table two: %v", err)
		}
	})
}

// TestMigrationDirsValid checks both embedded directories against their atlas.sum.
func TestMigrationDirsValid(t *testing.T) {
	for _, d := range []string{"sqlite3", "postgres"} {
		dir, err := store.MigrationDir(d)
		if err != nil {
			t.Fatal(err)
		}
		if err := atlasmigrate.Validate(dir); err != nil {
			t.Errorf("%s: %v", d, err)
		}
	}
	if _, err := store.MigrationDir("mysql"); err == nil {
		t.Error("MigrationDir(mysql) succeeded")
	}
}
