package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/qualify/qualify/internal/store"
	"github.com/qualify/qualify/internal/testenv"
)

// An empty database is not at the expected migration until it is migrated; a database missing
// the newest migration is not either.
func TestCheckSchema(t *testing.T) {
	for name, cfg := range map[string]func(t *testing.T) store.Config{
		"sqlite":   func(t *testing.T) store.Config { return store.Config{SQLitePath: testenv.SQLiteFile(t)} },
		"postgres": func(t *testing.T) store.Config { return store.Config{URL: testenv.EmptyPostgresURL(t)} },
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db, err := store.Open(ctx, cfg(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.CheckSchema(ctx); !errors.Is(err, store.ErrSchemaBehind) {
				t.Fatalf("unmigrated: %v, want ErrSchemaBehind", err)
			}
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if err := db.CheckSchema(ctx); err != nil {
				t.Fatalf("migrated: %v", err)
			}
			// The job queue's tables are part of the schema: without River's newest migration
			// the database is not ready either.
			if _, err := db.SQL.ExecContext(ctx, "DELETE FROM river_migration WHERE version = (SELECT MAX(version) FROM river_migration)"); err != nil {
				t.Fatal(err)
			}
			if err := db.CheckSchema(ctx); !errors.Is(err, store.ErrSchemaBehind) || !strings.Contains(err.Error(), "job queue") {
				t.Fatalf("job queue's newest migration missing: %v, want ErrSchemaBehind", err)
			}
			want, _ := db.ExpectedVersion()
			q := "DELETE FROM " + store.RevisionsTable + " WHERE version = $1"
			if db.Dialect == "sqlite3" {
				q = "DELETE FROM " + store.RevisionsTable + " WHERE version = ?"
			}
			if _, err := db.SQL.ExecContext(ctx, q, want); err != nil {
				t.Fatal(err)
			}
			if err := db.CheckSchema(ctx); !errors.Is(err, store.ErrSchemaBehind) {
				t.Fatalf("newest migration missing: %v, want ErrSchemaBehind", err)
			}
		})
	}
}
